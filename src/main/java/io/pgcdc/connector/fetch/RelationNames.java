package io.pgcdc.connector.fetch;

import io.debezium.connector.postgresql.connection.PostgresConnection;
import io.debezium.relational.Column;
import io.debezium.relational.Table;
import io.debezium.relational.TableEditor;
import io.debezium.relational.TableId;

import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The names in a pgoutput Relation message, read right. The message names a table and its columns
 * in UTF-8, and Debezium 1.9's decoder takes each byte for a character: {@code café} arrived as a
 * table nobody captures (its changes were dropped) and a column {@code prix€} looked renamed. The
 * bytes survive in the characters' low bits, so the names are decoded again.
 *
 * <p>The decoder looks the table's key and its columns' nullability up by name, with the names as
 * LIKE patterns; it finds nothing under a garbled name or one holding {@code \} (the LIKE escape:
 * {@code a\b} looks up {@code ab}), logs that it defaults, and takes every column for nullable and
 * the table for keyless. For such tables both are read again by the relation's oid.
 */
final class RelationNames {

    private static final String COLUMNS =
            "SELECT a.attname, a.attnotnull, coalesce(array_position(x.indkey::int2[], a.attnum),"
                + " 0) FROM pg_catalog.pg_attribute a LEFT JOIN pg_catalog.pg_index x ON x.indrelid"
                + " = a.attrelid AND x.indisprimary WHERE a.attrelid = ? AND a.attnum > 0 AND NOT"
                + " a.attisdropped";

    private RelationNames() {}

    /**
     * The table as described, with its names decoded again, and its key and nullability read again,
     * where the decoder's lookups could not find it.
     */
    static Table repaired(Table table, int relationId, PostgresConnection catalog) {
        boolean missed =
                isGarbled(table.id().schema())
                        || isGarbled(table.id().table())
                        || hasLikeEscape(table.id().schema())
                        || hasLikeEscape(table.id().table());
        for (Column column : table.columns()) {
            missed |= isGarbled(column.name());
        }
        if (!missed) {
            return table;
        }
        Map<String, Boolean> notNull = new HashMap<>();
        Map<String, Integer> keyPosition = new HashMap<>();
        try (PreparedStatement statement = catalog.connection().prepareStatement(COLUMNS)) {
            statement.setInt(1, relationId);
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    notNull.put(rs.getString(1), rs.getBoolean(2));
                    if (rs.getInt(3) > 0) {
                        keyPosition.put(rs.getString(1), rs.getInt(3));
                    }
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(
                    "Cannot read the columns of relation "
                            + relationId
                            + " ("
                            + decoded(table.id().table())
                            + "): "
                            + e.getMessage(),
                    e);
        }
        TableEditor editor = table.edit();
        editor.tableId(
                new TableId(
                        table.id().catalog(),
                        decoded(table.id().schema()),
                        decoded(table.id().table())));
        List<Column> columns = new ArrayList<>();
        for (Column column : table.columns()) {
            String name = decoded(column.name());
            Boolean required = notNull.get(name);
            columns.add(
                    column.edit()
                            .name(name)
                            .optional(required == null ? column.isOptional() : !required)
                            .create());
        }
        editor.setColumns(columns);
        List<String> key = new ArrayList<>(keyPosition.keySet());
        key.sort((a, b) -> Integer.compare(keyPosition.get(a), keyPosition.get(b)));
        editor.setPrimaryKeyNames(key.isEmpty() ? table.primaryKeyColumnNames() : key);
        return editor.create();
    }

    /** A name the decoder garbled: it holds a character made of a byte above 0x7F. */
    private static boolean isGarbled(String name) {
        if (name == null) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            if (name.charAt(i) >= 0x80) {
                return true;
            }
        }
        return false;
    }

    private static boolean hasLikeEscape(String name) {
        return name != null && name.indexOf('\\') >= 0;
    }

    /** The name from the bytes the decoder read, one a character. */
    private static String decoded(String name) {
        if (!isGarbled(name)) {
            return name;
        }
        byte[] bytes = new byte[name.length()];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) name.charAt(i);
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
