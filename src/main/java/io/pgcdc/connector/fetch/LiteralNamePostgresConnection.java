package io.pgcdc.connector.fetch;

import io.debezium.connector.postgresql.connection.PostgresConnection;
import io.debezium.jdbc.JdbcConfiguration;
import io.debezium.relational.Column;
import io.debezium.relational.TableId;
import io.debezium.relational.Tables.ColumnNameFilter;
import io.debezium.relational.Tables.TableFilter;

import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A Debezium {@link PostgresConnection} whose catalog lookups take schema, table and column names
 * literally. pgjdbc's {@code DatabaseMetaData.getColumns} takes them as LIKE patterns ({@code _}
 * any character, {@code %} any run, {@code \} the escape), so Debezium's lookups of one table also
 * returned the rows of look-alike tables ({@code a_b} got {@code axb}'s columns, and the stream
 * failed on them with "Duplicate key", again on every restart) or none at all ({@code a\b}).
 *
 * <ul>
 *   <li>the stream's decoder reads a Relation message's columns by pattern: rows of other tables
 *       are skipped ({@link #readColumnForDecoder});
 *   <li>schema reads escape the names they pass ({@link #getColumnsDetails});
 *   <li>a table's unique index (its key where it has no primary key) is read by exact names from
 *       the catalog, not from {@code getIndexInfo}, which mangles column names holding {@code "}.
 * </ul>
 */
abstract class LiteralNamePostgresConnection extends PostgresConnection {

    private static final String UNIQUE_INDEX_COLUMNS =
            "SELECT i.relname, a.attname, k.ord, min(k.attnum) OVER (PARTITION BY i.relname) = 0"
                + " FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class t ON t.oid = x.indrelid"
                + " JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace JOIN"
                + " pg_catalog.pg_class i ON i.oid = x.indexrelid CROSS JOIN LATERAL"
                + " unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) LEFT JOIN"
                + " pg_catalog.pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum"
                + " WHERE x.indisunique AND n.nspname = ? AND t.relname = ? ORDER BY i.relname,"
                + " k.ord";

    LiteralNamePostgresConnection(
            JdbcConfiguration config,
            PostgresValueConverterBuilder valueConverters,
            String applicationName) {
        super(config, valueConverters, applicationName);
    }

    LiteralNamePostgresConnection(
            JdbcConfiguration config,
            PostgresValueConverterBuilder valueConverters,
            String applicationName,
            ConnectionFactory factory) {
        super(config, valueConverters, applicationName, factory);
    }

    /** Only the rows of the table itself describe its columns. */
    @Override
    public Optional<Column> readColumnForDecoder(
            ResultSet columns, TableId tableId, ColumnNameFilter filter) throws SQLException {
        if (!Objects.equals(columns.getString(2), tableId.schema())
                || !Objects.equals(columns.getString(3), tableId.table())) {
            return Optional.empty();
        }
        return super.readColumnForDecoder(columns, tableId, filter);
    }

    @Override
    protected Map<TableId, List<Column>> getColumnsDetails(
            String catalog,
            String schemaName,
            String tableName,
            TableFilter tableFilter,
            ColumnNameFilter columnFilter,
            DatabaseMetaData metadata,
            Set<TableId> viewIds)
            throws SQLException {
        String escape = metadata.getSearchStringEscape();
        return super.getColumnsDetails(
                catalog,
                literal(schemaName, escape),
                literal(tableName, escape),
                tableFilter,
                columnFilter,
                metadata,
                viewIds);
    }

    /** The columns of the table's first unique index (by name) made of columns only. */
    @Override
    public List<String> readTableUniqueIndices(DatabaseMetaData metadata, TableId id)
            throws SQLException {
        List<String> columns = new ArrayList<>();
        try (PreparedStatement statement = connection().prepareStatement(UNIQUE_INDEX_COLUMNS)) {
            statement.setString(1, id.schema());
            statement.setString(2, id.table());
            try (ResultSet rs = statement.executeQuery()) {
                String chosen = null;
                while (rs.next()) {
                    String index = rs.getString(1);
                    if (rs.getBoolean(4) || (chosen != null && !chosen.equals(index))) {
                        continue; // an expression in the index, or past the chosen one
                    }
                    chosen = index;
                    columns.add(rs.getString(2));
                }
            }
        }
        return columns;
    }

    /** A name as a LIKE pattern that matches only itself; null (any) stays null. */
    static String literal(String name, String escape) {
        if (name == null) {
            return null;
        }
        return name.replace(escape, escape + escape)
                .replace("_", escape + "_")
                .replace("%", escape + "%");
    }
}
