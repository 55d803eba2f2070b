package io.pgcdc.connector.source.enumerator;

import org.apache.flink.util.FlinkRuntimeException;

import io.debezium.connector.postgresql.connection.PostgresConnection;
import io.debezium.relational.Table;
import io.debezium.relational.TableId;
import io.debezium.relational.Tables;
import io.debezium.relational.history.TableChanges.TableChange;
import io.debezium.relational.history.TableChanges.TableChangeType;
import io.pgcdc.connector.config.SqlStates;
import io.pgcdc.connector.config.TableIds;

import javax.annotation.concurrent.ThreadSafe;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The schemas of the tables the snapshot plans, read from the catalog a batch at a time: the table
 * asked for and the next ones the planner announced ({@link #readAhead}), in one pass of Debezium's
 * schema reader (one table listing, then columns and keys of those tables only). postgres-cdc read
 * every captured table's schema for each table it planned and kept one, so planning N tables cost
 * about N² catalog statements.
 *
 * <p>A schema is handed out once and never older than its batch: asking for a table that is not in
 * the current batch drops the batch and reads a new one from that table on.
 *
 * <p>Threading: the planning thread reads; {@link #readAhead} comes from the thread that picks the
 * next table; both synchronize.
 */
@ThreadSafe
final class BatchedSchemaReader {

    /** Tables per catalog pass: enough to make the table listing's cost per table small. */
    static final int BATCH_SIZE = 200;

    private final String database;
    private List<TableId> upcoming = new ArrayList<>();
    private final Map<TableId, TableChange> batch = new HashMap<>();

    BatchedSchemaReader(String database) {
        this.database = database;
    }

    /** The tables the planner will ask for next, in order; the first is the next one. */
    synchronized void readAhead(List<TableId> tables) {
        this.upcoming = new ArrayList<>(tables);
    }

    /**
     * The schema of one table, as postgres-cdc's {@code queryTableSchema} returns it; fails with
     * SQLSTATE 42P01 (undefined table) when the catalog no longer has it.
     */
    synchronized TableChange schemaOf(PostgresConnection jdbc, TableId table) {
        TableChange known = batch.remove(table);
        if (known != null) {
            return known;
        }
        batch.clear();
        Set<TableId> wanted = new LinkedHashSet<>();
        wanted.add(table);
        for (TableId next : upcoming) {
            if (wanted.size() >= BATCH_SIZE) {
                break;
            }
            wanted.add(next);
        }
        read(jdbc, wanted);
        TableChange read = batch.remove(table);
        if (read == null) {
            throw new FlinkRuntimeException(
                    "Failed to read the schema of table " + table,
                    new SQLException(
                            "Table " + table + " is not in the catalog (dropped?)",
                            SqlStates.UNDEFINED_TABLE));
        }
        return read;
    }

    private void read(PostgresConnection jdbc, Set<TableId> wanted) {
        Set<TableId> names = new HashSet<>();
        for (TableId id : wanted) {
            names.add(TableIds.withoutCatalog(id));
        }
        Tables tables = new Tables();
        try {
            jdbc.readSchema(
                    tables,
                    database,
                    null,
                    id -> names.contains(TableIds.withoutCatalog(id)),
                    null,
                    false);
        } catch (SQLException e) {
            throw new FlinkRuntimeException(
                    "Failed to read the schemas of " + wanted.size() + " tables", e);
        }
        Map<TableId, Table> byName = new HashMap<>();
        for (TableId id : tables.tableIds()) {
            byName.put(TableIds.withoutCatalog(id), tables.forTable(id));
        }
        for (TableId id : wanted) {
            Table table = byName.get(TableIds.withoutCatalog(id));
            if (table != null) {
                batch.put(id, new TableChange(TableChangeType.CREATE, table));
            }
        }
    }
}
