package io.pgcdc.connector.fetch;

import org.apache.flink.cdc.connectors.base.source.meta.split.SnapshotSplit;

import io.debezium.connector.base.ChangeEventQueue;
import io.debezium.connector.postgresql.connection.PostgresConnection;
import io.debezium.pipeline.DataChangeEvent;
import io.debezium.relational.Column;
import io.debezium.relational.Table;
import io.debezium.relational.TableId;
import io.debezium.relational.TableSchema;
import io.debezium.relational.history.TableChanges.TableChange;
import io.pgcdc.connector.config.SqlNames;
import io.pgcdc.connector.config.SqlStates;
import io.pgcdc.connector.config.TableIds;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.annotation.concurrent.NotThreadSafe;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;

import static io.pgcdc.connector.config.SqlNames.quote;

/**
 * Reads the rows of one snapshot split and queues them as Debezium read records, in the shape
 * postgres-cdc's snapshot task produces (same key, value and envelope schemas, same values), with
 * less work per row and none per split beyond the query:
 *
 * <ul>
 *   <li>the row schema comes from the split's table definition ({@link SnapshotTableSchemas}), not
 *       from the catalog;
 *   <li>the query names the split's columns, so a column added while the snapshot runs does not
 *       break the split (it arrives with the stream's schema change) and the rows always match the
 *       schema announced downstream;
 *   <li>the source block, offset and topic of a record are computed once per split, not per row.
 * </ul>
 *
 * <p>The range predicates are flink-cdc-base's, so each split covers exactly the rows its chunk
 * boundaries mean.
 *
 * <p>Threading: one split's producer thread.
 */
@NotThreadSafe
final class SnapshotSplitScan {

    private static final Logger LOG = LoggerFactory.getLogger(SnapshotSplitScan.class);

    private SnapshotSplitScan() {}

    /**
     * The split's table definition as the enumerator read it, under the split's table id: the id
     * inside a checkpointed schema is parsed back as {@code catalog.table}, which Debezium's {@code
     * schema.table} filters do not match.
     */
    static Table tableOf(SnapshotSplit split) {
        Map<TableId, TableChange> schemas = split.getTableSchemas();
        TableChange change = schemas.get(split.getTableId());
        if (change == null) {
            for (Map.Entry<TableId, TableChange> entry : schemas.entrySet()) {
                if (TableIds.sameTable(entry.getKey(), split.getTableId())) {
                    change = entry.getValue();
                }
            }
        }
        if (change == null) {
            throw new IllegalStateException(
                    "Snapshot split " + split.splitId() + " carries no schema of its table");
        }
        return change.getTable().edit().tableId(split.getTableId()).create();
    }

    /** Queues the split's rows; returns their number. */
    static long read(
            PostgresConnection jdbc,
            SnapshotSplit split,
            Table table,
            TableSchema rowSchema,
            RecordContext context,
            int fetchSize,
            ChangeEventQueue<DataChangeEvent> queue)
            throws SQLException, InterruptedException {
        ColumnReads reads = new ColumnReads(table.columns());
        Connection connection = jdbc.connection();
        connection.setAutoCommit(false); // a cursor: rows arrive fetchSize at a time
        Set<String> dropped = Collections.emptySet();
        try {
            return read(
                    connection, split, table, rowSchema, context, fetchSize, queue, reads, dropped);
        } catch (SQLException e) {
            // A split holds its table's lock while it reads, so DDL lands between splits: the
            // failing query returned no row yet.
            if (SqlStates.UNDEFINED_TABLE.equals(e.getSQLState())) {
                connection.rollback();
                LOG.warn(
                        "Table {} was dropped while the snapshot ran: split {} has no rows. Rows of"
                                + " the table read before stay downstream; nothing more of it is"
                                + " captured.",
                        table.id(),
                        split.splitId());
                return 0;
            }
            if (SqlStates.UNDEFINED_COLUMN.equals(e.getSQLState())) {
                connection.rollback();
                dropped = droppedColumns(connection, table);
                if (!dropped.isEmpty()) {
                    LOG.warn(
                            "Columns {} of table {} were dropped while the snapshot ran: split {}"
                                    + " reads them as NULL, as the stream does from then on",
                            dropped,
                            table.id(),
                            split.splitId());
                    return read(
                            connection,
                            split,
                            table,
                            rowSchema,
                            context,
                            fetchSize,
                            queue,
                            reads,
                            dropped);
                }
            }
            throw e;
        }
    }

    /** The split's columns its table no longer has. */
    private static Set<String> droppedColumns(Connection connection, Table table)
            throws SQLException {
        Set<String> dropped = new HashSet<>(table.retrieveColumnNames());
        dropped.removeAll(TableAttributes.of(connection, table.id()).keySet());
        return dropped;
    }

    private static long read(
            Connection connection,
            SnapshotSplit split,
            Table table,
            TableSchema rowSchema,
            RecordContext context,
            int fetchSize,
            ChangeEventQueue<DataChangeEvent> queue,
            ColumnReads reads,
            Set<String> droppedColumns)
            throws SQLException, InterruptedException {
        Schema keySchema = rowSchema.keySchema();
        Schema envelopeSchema = rowSchema.getEnvelopeSchema().schema();
        String sql = selectSql(table, split, droppedColumns);
        long rows = 0;
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setFetchSize(fetchSize);
            bindRange(statement, split);
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    Object[] row = reads.row(rs);
                    Struct value = rowSchema.valueFromColumnData(row);
                    Struct envelope =
                            rowSchema
                                    .getEnvelopeSchema()
                                    .read(
                                            value,
                                            context.source,
                                            Instant.ofEpochMilli(System.currentTimeMillis()));
                    queue.enqueue(
                            new DataChangeEvent(
                                    new SourceRecord(
                                            context.partition,
                                            context.offset,
                                            context.topic,
                                            null,
                                            keySchema,
                                            rowSchema.keyFromColumnData(row),
                                            envelopeSchema,
                                            envelope)));
                    rows++;
                }
            }
        }
        LOG.debug("Read {} rows of split {}", rows, split.splitId());
        return rows;
    }

    /** How each selected column is read and where it goes in Debezium's column-data array. */
    private static final class ColumnReads {
        private final int[] slots;
        private final int width;
        private final boolean[] timeWithZone;
        private final boolean[] asText;

        ColumnReads(List<Column> columns) {
            slots = new int[columns.size()];
            timeWithZone = new boolean[columns.size()];
            asText = new boolean[columns.size()];
            int widest = 0;
            for (int i = 0; i < slots.length; i++) {
                slots[i] = columns.get(i).position() - 1;
                widest = Math.max(widest, slots[i] + 1);
                timeWithZone[i] = "timetz".equalsIgnoreCase(columns.get(i).typeName());
                // pgjdbc returns hstore as a Map, which Debezium's map mode cannot read (NULL);
                // as text both modes read it, as they do in the stream
                asText[i] = "hstore".equalsIgnoreCase(columns.get(i).typeName());
            }
            width = widest;
        }

        Object[] row(ResultSet rs) throws SQLException {
            Object[] row = new Object[width];
            for (int i = 0; i < slots.length; i++) {
                row[slots[i]] =
                        timeWithZone[i]
                                ? timeWithZone(rs, i + 1)
                                : asText[i] ? rs.getString(i + 1) : rs.getObject(i + 1);
            }
            return row;
        }

        /**
         * A timetz as the stream decodes it (UTC); read as {@code java.sql.Time} it would lose its
         * fraction of a second.
         */
        private static OffsetTime timeWithZone(ResultSet rs, int index) throws SQLException {
            OffsetTime value = rs.getObject(index, OffsetTime.class);
            return value == null ? null : value.withOffsetSameInstant(ZoneOffset.UTC);
        }
    }

    /** What every record of a split shares. */
    static final class RecordContext {
        final Map<String, ?> partition;
        final Map<String, ?> offset;
        final Struct source;
        final String topic;

        RecordContext(
                Map<String, ?> partition, Map<String, ?> offset, Struct source, String topic) {
            this.partition = partition;
            this.offset = offset;
            this.source = source;
            this.topic = topic;
        }
    }

    /**
     * {@code SELECT <the split's columns> FROM <table> WHERE <range>}: the first split takes keys
     * below its end, the last those from its start, the others {@code [start, end)} — written as
     * flink-cdc-base writes it ({@code k <= end AND NOT k = end}), which is what its chunk
     * boundaries mean for a composite split key too. Columns dropped since the split was planned
     * read as NULL.
     */
    private static String selectSql(Table table, SnapshotSplit split, Set<String> droppedColumns) {
        StringJoiner projection = new StringJoiner(", ");
        for (Column column : table.columns()) {
            projection.add(droppedColumns.contains(column.name()) ? "NULL" : quote(column.name()));
        }
        StringBuilder sql =
                new StringBuilder("SELECT ")
                        .append(projection)
                        .append(" FROM ")
                        .append(SqlNames.qualified(table.id().schema(), table.id().table()));
        boolean first = split.getSplitStart() == null;
        boolean last = split.getSplitEnd() == null;
        if (first && last) {
            return sql.toString();
        }
        List<String> keys = split.getSplitKeyType().getFieldNames();
        sql.append(" WHERE ");
        if (!first) {
            sql.append(keyPredicate(table, keys, " >= "));
        }
        if (!last) {
            if (!first) {
                sql.append(" AND ");
            }
            sql.append(keyPredicate(table, keys, " <= "))
                    .append(" AND NOT (")
                    .append(keyPredicate(table, keys, " = "))
                    .append(')');
        }
        return sql.toString();
    }

    private static void bindRange(PreparedStatement statement, SnapshotSplit split)
            throws SQLException {
        int index = 1;
        Object[] start = split.getSplitStart();
        Object[] end = split.getSplitEnd();
        if (start != null) {
            for (Object value : start) {
                statement.setObject(index++, value);
            }
        }
        if (end != null) {
            for (int pass = 0; pass < 2; pass++) { // the "<=" and the "NOT =" predicates
                for (Object value : end) {
                    statement.setObject(index++, value);
                }
            }
        }
    }

    private static String keyPredicate(Table table, List<String> keys, String operator) {
        StringJoiner predicate = new StringJoiner(" AND ");
        for (String key : keys) {
            Column column = table.columnWithName(key);
            // chunk boundaries of a uuid key travel as text
            String parameter =
                    column != null && "uuid".equals(column.typeName()) ? "CAST(? AS uuid)" : "?";
            predicate.add(quote(key) + operator + parameter);
        }
        return predicate.toString();
    }
}
