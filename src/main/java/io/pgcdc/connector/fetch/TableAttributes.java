package io.pgcdc.connector.fetch;

import io.debezium.relational.TableId;
import io.pgcdc.connector.config.SqlNames;
import io.pgcdc.connector.config.SqlStates;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A table's live columns as the catalog shows them now, by name with their attribute numbers (a
 * renamed column keeps its number, an added one gets a new one), and the SQLSTATEs that tell a
 * query its table or column is gone. Statements are closed here; the connection is the caller's.
 */
final class TableAttributes {

    private static final String LIVE_COLUMNS =
            "SELECT a.attname, a.attnum FROM pg_catalog.pg_attribute a WHERE a.attrelid = %s AND"
                    + " a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum";

    private TableAttributes() {}

    /** The live columns of a table given by its oid (a Relation message's id). */
    static Map<String, Integer> of(Connection connection, int relationId) throws SQLException {
        try (PreparedStatement statement =
                connection.prepareStatement(String.format(LIVE_COLUMNS, "CAST(? AS oid)"))) {
            statement.setLong(1, Integer.toUnsignedLong(relationId));
            return read(statement);
        }
    }

    /** The live columns of a table given by name. */
    static Map<String, Integer> of(Connection connection, TableId table) throws SQLException {
        try (PreparedStatement statement =
                connection.prepareStatement(String.format(LIVE_COLUMNS, "CAST(? AS regclass)"))) {
            statement.setString(1, SqlNames.qualified(table.schema(), table.table()));
            return read(statement);
        }
    }

    /** The live columns of several tables, keyed by (schema, table), in one query. */
    static Map<TableId, Map<String, Integer>> of(Connection connection, Set<TableId> tables)
            throws SQLException {
        Map<TableId, Map<String, Integer>> all = new HashMap<>();
        if (tables.isEmpty()) {
            return all;
        }
        Set<String> schemas = new HashSet<>();
        tables.forEach(t -> schemas.add(t.schema()));
        try (PreparedStatement statement =
                connection.prepareStatement(
                        "SELECT n.nspname, c.relname, a.attname, a.attnum FROM"
                            + " pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid ="
                            + " a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                            + " WHERE n.nspname = ANY (?) AND a.attnum > 0 AND NOT a.attisdropped"
                            + " ORDER BY a.attnum")) {
            statement.setArray(1, connection.createArrayOf("text", schemas.toArray()));
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    TableId table = new TableId(null, rs.getString(1), rs.getString(2));
                    if (tables.contains(table)) {
                        all.computeIfAbsent(table, t -> new LinkedHashMap<>())
                                .put(rs.getString(3), rs.getInt(4));
                    }
                }
            }
        }
        return all;
    }

    /** Whether an exception, or one of its causes, says the table does not exist. */
    static boolean isUndefinedTable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException
                    && SqlStates.UNDEFINED_TABLE.equals(((SQLException) t).getSQLState())) {
                return true;
            }
        }
        return false;
    }

    private static Map<String, Integer> read(PreparedStatement statement) throws SQLException {
        Map<String, Integer> columns = new LinkedHashMap<>();
        try (ResultSet rs = statement.executeQuery()) {
            while (rs.next()) {
                columns.put(rs.getString(1), rs.getInt(2));
            }
        }
        return columns;
    }
}
