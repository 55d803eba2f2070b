package io.pgcdc.connector.source;

import org.apache.flink.cdc.common.event.AddColumnEvent;
import org.apache.flink.cdc.common.event.SchemaChangeEvent;
import org.apache.flink.cdc.common.event.TableId;
import org.apache.flink.cdc.common.schema.Column;
import org.apache.flink.cdc.common.schema.Schema;
import org.apache.flink.configuration.Configuration;

import io.pgcdc.connector.testbed.EventLog;
import io.pgcdc.connector.testbed.NothingLeft;
import io.pgcdc.connector.testbed.PipelineJob;
import io.pgcdc.connector.testbed.PostgresExtension;
import io.pgcdc.connector.testbed.SourceConfigs;
import io.pgcdc.connector.testbed.TestDatabase;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tables of a shared database named the way real databases name them: with LIKE wildcards ({@code
 * _}, {@code %}), backslashes, dots, spaces, quotes, upper and mixed case, non-ASCII letters, 63
 * bytes, reserved words, regex and list characters; the same table name in two schemas; schemas
 * whose names differ where a wildcard matches; and, next to them, look-alike tables that are not
 * captured. Each captured table must get exactly its own columns, key and rows, through the
 * snapshot and the stream (changes to every table, captured or not), with schema evolution on and
 * off, across a savepoint with a newly added table; no look-alike's event may appear, and the job
 * must survive it all.
 */
@Tag("core")
@ExtendWith(PostgresExtension.class)
class TableNamesITCase {

    private static final Duration TIMEOUT = Duration.ofMinutes(3);

    /**
     * A table of the fixture: schema, name, its entry in 'tables' (null: not captured), extra
     * columns.
     */
    private static final class Named {
        final String schema;
        final String table;
        final String tablesEntry;
        final List<String[]> columns; // name, type

        Named(String schema, String table, String tablesEntry, String... columns) {
            this.schema = schema;
            this.table = table;
            this.tablesEntry = tablesEntry;
            this.columns = new ArrayList<>();
            for (int i = 0; i < columns.length; i += 2) {
                this.columns.add(new String[] {columns[i], columns[i + 1]});
            }
        }

        boolean captured() {
            return tablesEntry != null;
        }

        TableId id() {
            return TableId.tableId(schema, table);
        }

        String sql() {
            return quote(schema) + "." + quote(table);
        }

        @Override
        public String toString() {
            return schema + "." + table;
        }
    }

    private static Named captured(String schema, String table, String entry, String... columns) {
        return new Named(schema, table, entry, columns);
    }

    private static Named lookAlike(String schema, String table, String... columns) {
        return new Named(schema, table, null, columns);
    }

    private static final String LONG_ASCII =
            "l" + String.join("", Collections.nCopies(62, "x")); // 63 bytes
    private static final String LONG_UTF8 =
            String.join("", Collections.nCopies(31, "é")); // 62 bytes

    private static final List<Named> TABLES =
            Arrays.asList(
                    // LIKE wildcards, with look-alikes sharing the column names
                    captured(
                            "public",
                            "a_b",
                            "public.a_b",
                            "v",
                            "text",
                            "d",
                            "int NOT NULL DEFAULT 7"),
                    lookAlike("public", "axb", "v", "text", "d", "int"),
                    captured("public", "p%q", "public.p%q", "v", "text"),
                    lookAlike("public", "pxxq", "v", "text"),
                    captured("public", "a\\b", "public.a\\\\b", "v", "int NOT NULL DEFAULT 1"),
                    lookAlike("public", "ab", "v", "int"),
                    captured("public", "z\\", "public.z\\\\", "v", "text"),
                    // schemas differing by a wildcard; the same table name in two schemas
                    captured("s_1", "t", "s_1.t", "v", "text"),
                    lookAlike("sx1", "t", "v", "text"),
                    captured("s2", "t", "s2.t", "a", "text"),
                    captured("s3", "t", "s3.t", "b", "int"),
                    // dots and spaces
                    captured("public", "d.e", "public.d\\\\.e", "v", "text"),
                    lookAlike("public", "dxe", "v", "text"),
                    captured("x.y", "z", "x\\\\.y.z", "v", "text"),
                    captured("public", "my table", "public.my table", "col umn", "int"),
                    captured("public", " lead", "public. lead", "v", "text"),
                    captured("public", "trail ", "public.trail\\x20", "v", "text"),
                    lookAlike("public", "mytable", "col umn", "int"),
                    // quotes
                    captured("public", "q\"x", "public.q\"x", "c\"d", "int"),
                    captured("public", "it's", "public.it's", "v", "text"),
                    // case
                    captured("public", "orders", "public.orders", "v", "text"),
                    lookAlike("public", "Orders", "secret", "text"),
                    captured("public", "MiXed", "public.MiXed", "CamelCol", "int"),
                    lookAlike("public", "mixed", "v", "int"),
                    // non-ASCII
                    captured("public", "café", "public.café", "prix€", "int NOT NULL DEFAULT 0"),
                    lookAlike("public", "cafe", "v", "int"),
                    captured("schéma", "表", "schéma.表", "列", "text"),
                    // 63 bytes
                    captured("public", LONG_ASCII, "public." + LONG_ASCII, "v", "text"),
                    captured("public", LONG_UTF8, "public." + LONG_UTF8, "v", "text"),
                    // reserved words
                    captured("select", "order", "select.order", "from", "int", "user", "text"),
                    // regex and list characters
                    captured("public", "a$b", "public.a\\$b", "v", "text"),
                    captured("public", "a(b", "public.a\\(b", "v", "text"),
                    captured("public", "a+b", "public.a\\+b", "v", "text"),
                    captured("public", "a|b", "public.a\\|b", "v", "text"),
                    captured("public", "a,b", "public.a\\x2Cb", "v", "text"),
                    captured("public", "k[1]", "public.k\\[1\\]", "v", "text"),
                    lookAlike("public", "a", "v", "text"),
                    lookAlike("public", "b", "v", "text"),
                    // a schema only the system's prefix pg_ would hide
                    captured("pgxtoast", "t", "pgxtoast.t", "v", "text"));

    /** Added to 'tables' on restore (scan.newly-added-table.enabled). */
    private static final Named NEWLY_ADDED =
            captured("public", "new.one", "public.new\\\\.one", "v", "text");

    /**
     * Parallelism 2, backfill on, schema evolution on, a filtered publication: snapshot, then
     * changes to every table, then a column added to each captured table, named like its table.
     */
    @Test
    void eachTableGetsItsOwnColumnsKeysAndRowsThroughSnapshotStreamAndSchemaEvolution(
            TestDatabase db) throws Exception {
        createFixture(db, TABLES);
        Map<String, String> options = options(db, TABLES);
        options.put("scan.incremental.snapshot.backfill.skip", "false");
        options.put("schema-change.enabled", "true");
        options.put("publication.autocreate.mode", "filtered");
        try (PipelineJob job = PipelineJob.start(source(options), 2)) {
            awaitSnapshot(job, TABLES);
            assertCaptured(db, job.log(), TABLES);
            assertThat(TestDatabase.await(TIMEOUT, () -> db.globalSlotReader() != null))
                    .as("streaming")
                    .isTrue();

            changeEveryTable(db, TABLES, 1000);
            awaitTables(job, db, TABLES);
            assertThat(job.log().schemaChanges())
                    .as("schema change events before any DDL")
                    .isEmpty();

            int kind = 0;
            Map<Named, String> addedColumns = new LinkedHashMap<>();
            for (Named table : captured(TABLES)) {
                String column = ADDED_COLUMN_NAMES[kind++ % ADDED_COLUMN_NAMES.length];
                addedColumns.put(table, column);
                // the update rewrites every row: a keyed sink then holds the new column's values
                db.execute(
                        "ALTER TABLE "
                                + table.sql()
                                + " ADD COLUMN "
                                + quote(column)
                                + " int NOT NULL DEFAULT 5",
                        "INSERT INTO " + table.sql() + " (id) VALUES (3000)",
                        "UPDATE " + table.sql() + " SET id = id");
            }
            awaitTables(job, db, TABLES);
            for (Named table : captured(TABLES)) {
                List<SchemaChangeEvent> changes = job.log().schemaChanges(table.id());
                assertThat(changes).as("schema changes of %s", table).hasSize(1);
                assertThat(changes.get(0))
                        .as("schema change of %s", table)
                        .isInstanceOf(AddColumnEvent.class);
                List<AddColumnEvent.ColumnWithPosition> added =
                        ((AddColumnEvent) changes.get(0)).getAddedColumns();
                assertThat(added).as("columns added to %s", table).hasSize(1);
                Column column = added.get(0).getAddColumn();
                assertThat(column.getName())
                        .as("column added to %s", table)
                        .isEqualTo(addedColumns.get(table));
                // the decoder's own lookup misses a\b and non-ASCII names and calls every column
                // nullable
                assertThat(column.getType().isNullable())
                        .as("%s.%s is NOT NULL", table, column.getName())
                        .isFalse();
            }
            assertCaptured(db, job.log(), TABLES);
            NothingLeft.afterClosing(job, db);
        }
    }

    /**
     * Parallelism 1, no backfill, schema evolution off, the stream split's table list sent in
     * groups of one: snapshot and stream, a savepoint, a restore with a newly added table whose
     * name has a dot, and the stream again.
     */
    @Test
    void eachTableKeepsItsOwnRowsAcrossASavepointWithANewlyAddedTable(
            TestDatabase db, @TempDir Path savepoints) throws Exception {
        List<Named> all = new ArrayList<>(TABLES);
        all.add(NEWLY_ADDED);
        createFixture(db, all);
        Map<String, String> options = options(db, TABLES);
        options.put("chunk-meta.group.size", "1");
        options.put("scan.newly-added-table.enabled", "true");
        String savepoint;
        EventLog first;
        try (PipelineJob job = PipelineJob.start(source(options), 1)) {
            awaitSnapshot(job, TABLES);
            assertThat(TestDatabase.await(TIMEOUT, () -> db.globalSlotReader() != null))
                    .as("streaming")
                    .isTrue();
            changeEveryTable(db, all, 1000);
            awaitTables(job, db, TABLES);
            assertCaptured(db, job.log(), TABLES);
            savepoint = job.stopWithSavepoint(savepoints);
            first = job.log();
        }
        changeEveryTable(db, all, 2000); // while no job runs
        Map<String, String> restored = options(db, all);
        restored.put("chunk-meta.group.size", "1");
        restored.put("scan.newly-added-table.enabled", "true");
        Configuration restore = PipelineJob.restoringFrom(savepoint);
        try (PipelineJob job = PipelineJob.start(source(restored), 1, restore)) {
            assertThat(TestDatabase.await(TIMEOUT, () -> db.globalSlotReader() != null))
                    .as("streaming")
                    .isTrue();
            changeEveryTable(db, all, 3000);
            job.await(
                    "every captured table, the new one included",
                    TIMEOUT,
                    log -> captured(all).stream().allMatch(t -> rowsMatch(db, t, first, log)));
            for (Named table : captured(all)) {
                assertThat(foldRows(first, job.log(), table.id()))
                        .as("rows of %s across both runs", table)
                        .isEqualTo(rowsInDatabase(db, table));
            }
            assertThat(job.log().tables())
                    .as("tables with events after the restore")
                    .allMatch(id -> captured(all).stream().anyMatch(t -> t.id().equals(id)));
            NothingLeft.afterClosing(job, db);
        }
    }

    private static final String[] ADDED_COLUMN_NAMES = {
        "n_1", "n%", "n\\", "n.e", "n x", "n\"q", "N€", "select", "nÉ", "n,m"
    };

    private static void createFixture(TestDatabase db, List<Named> tables) {
        Set<String> schemas = new TreeSet<>();
        tables.forEach(t -> schemas.add(t.schema));
        for (String schema : schemas) {
            if (!schema.equals("public")) {
                db.execute("CREATE SCHEMA " + quote(schema));
            }
        }
        for (Named table : tables) {
            StringBuilder ddl =
                    new StringBuilder("CREATE TABLE " + table.sql() + " (id int PRIMARY KEY");
            for (String[] column : table.columns) {
                ddl.append(", ").append(quote(column[0])).append(' ').append(column[1]);
            }
            db.execute(ddl.append(")").toString());
            for (int id = 1; id <= 3; id++) {
                insert(db, table, id);
            }
        }
    }

    private static void insert(TestDatabase db, Named table, int id) {
        StringBuilder names = new StringBuilder("id");
        StringBuilder values = new StringBuilder(String.valueOf(id));
        for (String[] column : table.columns) {
            names.append(", ").append(quote(column[0]));
            values.append(", ")
                    .append(
                            column[1].startsWith("int")
                                    ? String.valueOf(id * 10)
                                    : "'r" + id + "'");
        }
        db.execute("INSERT INTO " + table.sql() + " (" + names + ") VALUES (" + values + ")");
    }

    /**
     * An insert, an update and a delete per table, each its own transaction; then one touching all.
     */
    private static void changeEveryTable(TestDatabase db, List<Named> tables, int base) {
        for (Named table : tables) {
            insert(db, table, base);
            String first = table.columns.get(0)[0];
            boolean isInt = table.columns.get(0)[1].startsWith("int");
            db.execute(
                    "UPDATE "
                            + table.sql()
                            + " SET "
                            + quote(first)
                            + " = "
                            + (isInt ? String.valueOf(base) : "'u" + base + "'")
                            + " WHERE id = 1");
        }
        for (Named table : tables) {
            db.execute("DELETE FROM " + table.sql() + " WHERE id = " + (base == 1000 ? 2 : base));
        }
        StringBuilder all = new StringBuilder("BEGIN;");
        for (Named table : tables) {
            all.append("INSERT INTO ")
                    .append(table.sql())
                    .append(" (id")
                    .append(
                            table.columns.stream()
                                    .map(c -> ", " + quote(c[0]))
                                    .collect(Collectors.joining()))
                    .append(") VALUES (")
                    .append(base + 1)
                    .append(
                            table.columns.stream()
                                    .map(c -> c[1].startsWith("int") ? ", 1" : ", 'all'")
                                    .collect(Collectors.joining()))
                    .append(");");
        }
        db.execute(all.append("COMMIT").toString());
    }

    private static Map<String, String> options(TestDatabase db, List<Named> tables) {
        String entries =
                captured(tables).stream()
                        .map(t -> db.name() + "." + t.tablesEntry)
                        .collect(Collectors.joining(","));
        Map<String, String> options = SourceConfigs.connection(db, entries);
        options.put("scan.incremental.snapshot.chunk.size", "2");
        return options;
    }

    private static PostgresPipelineSource source(Map<String, String> options) {
        return ((PostgresDataSource) SourceConfigs.create(options)).createSource();
    }

    private static List<Named> captured(List<Named> tables) {
        return tables.stream().filter(Named::captured).collect(Collectors.toList());
    }

    private static void awaitSnapshot(PipelineJob job, List<Named> tables) {
        try {
            job.await(
                    "every captured table's snapshot",
                    TIMEOUT,
                    log ->
                            captured(tables).stream()
                                    .allMatch(t -> log.dataLines(t.id()).size() >= 3));
        } catch (AssertionError e) {
            throw new AssertionError(
                    "Tables without their 3 snapshot rows: "
                            + captured(tables).stream()
                                    .filter(t -> job.log().dataLines(t.id()).size() < 3)
                                    .collect(Collectors.toList()),
                    e);
        }
    }

    private static void awaitTables(PipelineJob job, TestDatabase db, List<Named> tables) {
        try {
            job.await(
                    "every captured table to match the database",
                    TIMEOUT,
                    log -> captured(tables).stream().allMatch(t -> rowsMatch(db, t, null, log)));
        } catch (AssertionError e) {
            StringBuilder which = new StringBuilder();
            for (Named table : captured(tables)) {
                if (!rowsMatch(db, table, null, job.log())) {
                    which.append("\n  ")
                            .append(table)
                            .append(": got ")
                            .append(foldRows(null, job.log(), table.id()))
                            .append(", table has ")
                            .append(rowsInDatabase(db, table));
                }
            }
            throw new AssertionError("Tables whose rows differ:" + which, e);
        }
    }

    private static boolean rowsMatch(TestDatabase db, Named table, EventLog before, EventLog log) {
        return foldRows(before, log, table.id()).equals(rowsInDatabase(db, table));
    }

    /** The captured set, each table's columns and key as the catalog has them, its rows. */
    private static void assertCaptured(TestDatabase db, EventLog log, List<Named> tables) {
        Set<TableId> expected =
                captured(tables).stream().map(Named::id).collect(Collectors.toSet());
        assertThat(log.tables()).as("tables with events").isEqualTo(expected);
        assertThat(log.conflictingCreates()).as("tables announced with two schemas").isEmpty();
        for (Named table : captured(tables)) {
            Schema schema = log.schema(table.id());
            // each reader announces a table before its first row of it; the announcements agree
            assertThat(log.creates(table.id()))
                    .as("CreateTableEvents of %s", table)
                    .isBetween(1, 2);
            assertThat(
                            schema.getColumns().stream()
                                    .map(Column::getName)
                                    .collect(Collectors.toList()))
                    .as("columns of %s", table)
                    .isEqualTo(catalogColumns(db, table));
            assertThat(schema.primaryKeys()).as("primary key of %s", table).containsExactly("id");
            assertThat(foldRows(null, log, table.id()))
                    .as("rows of %s", table)
                    .isEqualTo(rowsInDatabase(db, table));
        }
    }

    private static List<String> catalogColumns(TestDatabase db, Named table) {
        return db
                .query(
                        "SELECT attname FROM pg_attribute WHERE attrelid = '"
                                + table.sql().replace("'", "''")
                                + "'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum")
                .stream()
                .map(row -> row.get(0))
                .collect(Collectors.toList());
    }

    /** What a keyed sink holds after the runs' events of the table: by key, the last row. */
    private static Map<String, String> foldRows(EventLog before, EventLog log, TableId table) {
        Map<String, String> rows = new TreeMap<>();
        List<String> lines = new ArrayList<>();
        if (before != null) {
            lines.addAll(before.dataLines(table));
        }
        lines.addAll(log.dataLines(table));
        for (String line : lines) {
            String row = line.substring(3);
            String key =
                    row.substring(1, row.indexOf(',') < 0 ? row.length() - 1 : row.indexOf(','));
            if (line.startsWith("-D")) {
                rows.remove(key);
            } else if (line.startsWith("+")) {
                rows.put(key, row);
            }
        }
        return rows;
    }

    private static Map<String, String> rowsInDatabase(TestDatabase db, Named table) {
        Map<String, String> rows = new TreeMap<>();
        for (List<String> row : db.query("SELECT * FROM " + table.sql())) {
            rows.put(
                    row.get(0),
                    row.stream().map(String::valueOf).collect(Collectors.toList()).toString());
        }
        return rows;
    }

    private static String quote(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }
}
