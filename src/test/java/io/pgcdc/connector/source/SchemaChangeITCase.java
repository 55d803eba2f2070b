package io.pgcdc.connector.source;

import org.apache.flink.cdc.common.event.AddColumnEvent;
import org.apache.flink.cdc.common.event.AlterColumnTypeEvent;
import org.apache.flink.cdc.common.event.DropColumnEvent;
import org.apache.flink.cdc.common.event.RenameColumnEvent;
import org.apache.flink.cdc.common.event.TableId;
import org.apache.flink.cdc.common.schema.Column;
import org.apache.flink.cdc.common.schema.Schema;
import org.apache.flink.cdc.common.types.DataType;
import org.apache.flink.cdc.common.types.DataTypes;

import io.pgcdc.connector.testbed.LogCapture;
import io.pgcdc.connector.testbed.PipelineJob;
import io.pgcdc.connector.testbed.PostgresExtension;
import io.pgcdc.connector.testbed.SourceConfigs;
import io.pgcdc.connector.testbed.TestDatabase;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * schema-change.enabled: DDL on a captured table reaches downstream as schema change events,
 * inferred from pgoutput Relation messages, before the first row of the new shape; the evolved
 * schema survives a savepoint; with the option off rows keep the announced layout.
 */
@Tag("core")
@ExtendWith(PostgresExtension.class)
class SchemaChangeITCase {

    private static final TableId T = TableId.tableId("public", "t");

    @Test
    void eachKindOfChangeIsAnnouncedBeforeTheRowsThatUseIt(TestDatabase db) throws Exception {
        create(db);
        try (PipelineJob job = PipelineJob.start(source(db, true), 1)) {
            job.awaitStreaming(db);
            addRenameWidenAndDropEachBeforeARow(db, 5_000_000_000L);
            db.execute("UPDATE t SET title = 'ff' WHERE id = 6");
            job.await(
                    "the last update",
                    Duration.ofMinutes(1),
                    log -> log.dataLines().contains("+U public.t[6, ff, 6]"));

            List<String> afterSnapshot = streamed(job.log().lines());
            assertThat(afterSnapshot)
                    .containsExactly(
                            added("extra", DataTypes.STRING()),
                            "+I public.t[3, c, 3, x]",
                            renamed("name", "title"),
                            "+I public.t[4, d, 4, y]",
                            retyped("n", DataTypes.INT(), DataTypes.BIGINT()),
                            "+I public.t[5, e, 5000000000, z]",
                            dropped("extra"),
                            "+I public.t[6, f, 6]",
                            "-U public.t[6, null, null]",
                            "+U public.t[6, ff, 6]");
            assertThat(job.log().schema(T))
                    .isEqualTo(
                            Schema.newBuilder()
                                    .physicalColumn("id", DataTypes.INT().notNull())
                                    .physicalColumn("title", DataTypes.VARCHAR(20))
                                    .physicalColumn("n", DataTypes.BIGINT())
                                    .primaryKey("id")
                                    .build());
        }
    }

    @Test
    void aColumnDroppedAndAnotherAddedInItsPlaceIsNotARename(TestDatabase db) throws Exception {
        create(db); // name VARCHAR(20) is followed by n INT: drop n, add m INT between two rows
        try (PipelineJob job = PipelineJob.start(source(db, true), 1)) {
            job.awaitStreaming(db);
            db.execute(
                    "ALTER TABLE t DROP COLUMN n",
                    "ALTER TABLE t ADD COLUMN m INT",
                    "INSERT INTO t VALUES (3, 'c', 33)");
            // the catalog is read as a change is decoded: the next DDL waits for the row
            job.await(
                    "the row after the first change",
                    Duration.ofMinutes(1),
                    log -> log.dataLines().contains("+I public.t[3, c, 33]"));
            db.execute("ALTER TABLE t RENAME COLUMN m TO k", "INSERT INTO t VALUES (4, 'd', 44)");
            job.await(
                    "the last row",
                    Duration.ofMinutes(1),
                    log -> log.dataLines().contains("+I public.t[4, d, 44]"));
            assertThat(streamed(job.log().lines()))
                    .containsExactly(
                            dropped("n"),
                            added("m", DataTypes.INT()),
                            "+I public.t[3, c, 33]",
                            renamed("m", "k"),
                            "+I public.t[4, d, 44]");
        }
    }

    @Test
    void theEvolvedSchemaSurvivesASavepoint(TestDatabase db, @TempDir Path savepoints)
            throws Exception {
        create(db);
        String savepoint;
        try (PipelineJob job = PipelineJob.start(source(db, true), 1)) {
            job.awaitStreaming(db);
            db.execute(
                    "ALTER TABLE t ADD COLUMN extra TEXT", "INSERT INTO t VALUES (3, 'c', 3, 'x')");
            job.await(
                    "the row with the new column",
                    Duration.ofMinutes(1),
                    log -> log.dataLines().contains("+I public.t[3, c, 3, x]"));
            savepoint = job.stopWithSavepoint(savepoints);
        }
        // while no job runs: a row of the shape already announced, then another change
        db.execute(
                "INSERT INTO t VALUES (4, 'd', 4, 'y')",
                "ALTER TABLE t ADD COLUMN more INT",
                "INSERT INTO t VALUES (5, 'e', 5, 'z', 55)");
        try (PipelineJob job =
                PipelineJob.start(source(db, true), 1, PipelineJob.restoringFrom(savepoint))) {
            job.await(
                    "the rows written while stopped",
                    Duration.ofMinutes(1),
                    log -> log.dataLines().contains("+I public.t[5, e, 5, z, 55]"));
            List<String> lines = job.log().lines();
            assertThat(lines.get(0))
                    .as("the restored reader announces the evolved schema")
                    .startsWith("CREATE public.t")
                    .contains("`extra` STRING")
                    .doesNotContain("`more`");
            assertThat(lines.subList(1, lines.size()))
                    .containsExactly(
                            "+I public.t[4, d, 4, y]",
                            added("more", DataTypes.INT()),
                            "+I public.t[5, e, 5, z, 55]");
        }
    }

    /**
     * At parallelism 2 the stream split is created only after a checkpoint that follows the
     * snapshot, and it starts at the snapshot's high watermark: DDL in between must be replayed
     * from the schema the snapshot read, not from the catalog of the moment the split is created
     * (which made later DDL look like it happened first: columns dropped and added again, rows in
     * the wrong layout downstream).
     */
    @Test
    void ddlBeforeTheStreamStartsIsReplayedInOrder(TestDatabase db, @TempDir Path savepoints)
            throws Exception {
        create(db);
        String savepoint;
        try (LogCapture warnings = LogCapture.atLeast(Level.WARN);
                PipelineJob job =
                        PipelineJob.start(source(db, true), 2, PipelineJob.withoutCheckpoints())) {
            // the collected rows show only after a checkpoint; the enumerator says when the
            // snapshot is done
            assertThat(
                            TestDatabase.await(
                                    Duration.ofMinutes(1),
                                    () ->
                                            warnings.text()
                                                    .contains(
                                                            "All snapshot splits finished; at"
                                                                + " parallelism 2 the stream starts"
                                                                + " only after the next completed"
                                                                + " checkpoint, and no checkpoint"
                                                                + " has been taken yet")))
                    .as(warnings.text())
                    .isTrue();
            savepoint = job.stopWithSavepoint(savepoints); // the stream split does not exist yet
        }
        db.execute(
                "INSERT INTO t VALUES (3, 'c', 3)",
                "ALTER TABLE t ADD COLUMN extra TEXT",
                "INSERT INTO t VALUES (4, 'd', 4, 'x')",
                "ALTER TABLE t RENAME COLUMN name TO title",
                "INSERT INTO t VALUES (5, 'e', 5, 'y')");
        try (PipelineJob job =
                PipelineJob.start(source(db, true), 2, PipelineJob.restoringFrom(savepoint))) {
            job.await(
                    "the last row",
                    Duration.ofMinutes(1),
                    log -> log.dataLines().contains("+I public.t[5, e, 5, y]"));
            List<String> lines = job.log().lines();
            assertThat(lines.get(0))
                    .as("the stream announces the schema the snapshot read")
                    .isEqualTo(
                            "CREATE public.t columns={`id` INT NOT NULL,`name` VARCHAR(20),`n`"
                                    + " INT}, primaryKeys=id, options=()");
            assertThat(lines.subList(1, lines.size()))
                    .containsExactly(
                            "+I public.t[3, c, 3]",
                            added("extra", DataTypes.STRING()),
                            "+I public.t[4, d, 4, x]",
                            renamed("name", "title"),
                            "+I public.t[5, e, 5, y]");
        }
    }

    @Test
    void withSchemaChangesOffRowsKeepTheAnnouncedLayout(TestDatabase db) throws Exception {
        create(db);
        try (PipelineJob job = PipelineJob.start(source(db, false), 1)) {
            job.awaitStreaming(db);
            addRenameWidenAndDropEachBeforeARow(db, 5);
            job.await(
                    "the last row",
                    Duration.ofMinutes(1),
                    log -> log.dataLines().contains("+I public.t[6, f, 6]"));
            assertThat(streamed(job.log().lines()))
                    .as(
                            "no schema events; a renamed column keeps its values; a widened one"
                                    + " converts")
                    .containsExactly(
                            "+I public.t[3, c, 3]",
                            "+I public.t[4, d, 4]",
                            "+I public.t[5, e, 5]",
                            "+I public.t[6, f, 6]");
        }
    }

    @Test
    void aWidenedValueThatNoLongerFitsFailsNamingTheOption(TestDatabase db) throws Exception {
        create(db);
        Throwable failure;
        try (PipelineJob job = PipelineJob.start(source(db, false), 1)) {
            job.awaitStreaming(db);
            db.execute(
                    "ALTER TABLE t ALTER COLUMN n TYPE BIGINT",
                    "INSERT INTO t VALUES (3, 'c', 5000000000)");
            failure =
                    org.assertj.core.api.Assertions.catchThrowable(
                            () -> job.awaitFinished(Duration.ofMinutes(1)));
            assertThat(job.log().dataLines()).noneMatch(l -> l.startsWith("+I public.t[3,"));
        }
        Throwable root = failure;
        while (root != null
                && !(root instanceof IllegalStateException
                        && root.getMessage().contains("schema-change"))) {
            root = root.getCause();
        }
        assertThat(root).as("the failure names column, table and option: " + failure).isNotNull();
        assertThat(root.getMessage()).contains("'n'", "public.t", "'schema-change.enabled'");
    }

    @Test
    void noSchemaEventsWithoutDdl(TestDatabase db) throws Exception {
        db.execute(
                "CREATE TYPE mood AS ENUM ('ok', 'sad')",
                "CREATE TABLE wide (id BIGSERIAL PRIMARY KEY, a SMALLINT NOT NULL DEFAULT 1, b"
                    + " NUMERIC(10, 2), c NUMERIC, d VARCHAR(7), e CHAR(3), f TEXT, g TIMESTAMP(3),"
                    + " h TIMESTAMPTZ, i TIME(2), j DATE, k BYTEA, l JSONB, m UUID, n INT[], o"
                    + " TEXT[], p mood, q BOOLEAN, r DOUBLE PRECISION, s REAL, t INTERVAL, u INET,"
                    + " v BIT(3))",
                "COMMENT ON COLUMN wide.f IS 'free text'",
                "INSERT INTO wide (b, f) VALUES (1.5, 'x')");
        Map<String, String> options = SourceConfigs.connection(db, db.name() + ".public.wide");
        options.put("schema-change.enabled", "true");
        try (PipelineJob job =
                PipelineJob.start(
                        ((PostgresDataSource) SourceConfigs.create(options)).createSource(), 1)) {
            job.awaitStreaming(db);
            db.execute(
                    "INSERT INTO wide (b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r, s, t, u,"
                        + " v) VALUES (2.5, 3.25, 'abc', 'xy', 'y', '2024-01-02 03:04:05.678',"
                        + " '2024-01-02 03:04:05+00', '10:11:12.34', '2024-01-02', '\\x01',"
                        + " '{\"k\": 1}', '6f1c1a7e-8d33-4f00-9a4d-5a1c1b1c1d1e', '{1,2}', '{a,b}',"
                        + " 'sad', true, 1.5, 2.5, '1 day', '10.0.0.1', B'101')",
                    "UPDATE wide SET f = 'z' WHERE id = 1");
            job.await("the streamed changes", Duration.ofMinutes(1), log -> log.dataCount() >= 4);
            assertThat(job.log().schemaChanges())
                    .as("relation messages that describe the same table")
                    .isEmpty();
        }
    }

    private static void create(TestDatabase db) {
        db.execute(
                "CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(20), n INT)",
                "INSERT INTO t VALUES (1, 'a', 1), (2, 'b', 2)");
    }

    /**
     * On {@link #create}'s table: adds {@code extra TEXT}, renames {@code name} to {@code title},
     * widens {@code n} to BIGINT and drops {@code extra}, each followed by a row of the new shape
     * (ids 3 to 6); row 5 carries {@code widenedN}.
     */
    private static void addRenameWidenAndDropEachBeforeARow(TestDatabase db, long widenedN) {
        db.execute("ALTER TABLE t ADD COLUMN extra TEXT", "INSERT INTO t VALUES (3, 'c', 3, 'x')");
        db.execute(
                "ALTER TABLE t RENAME COLUMN name TO title",
                "INSERT INTO t VALUES (4, 'd', 4, 'y')");
        db.execute(
                "ALTER TABLE t ALTER COLUMN n TYPE BIGINT",
                "INSERT INTO t VALUES (5, 'e', " + widenedN + ", 'z')");
        db.execute("ALTER TABLE t DROP COLUMN extra", "INSERT INTO t VALUES (6, 'f', 6)");
    }

    /** The log line of a column of {@code t} added last. */
    private static String added(String column, DataType type) {
        return "SCHEMA "
                + new AddColumnEvent(
                        T,
                        Collections.singletonList(
                                AddColumnEvent.last(Column.physicalColumn(column, type))));
    }

    /** The log line of a column of {@code t} renamed. */
    private static String renamed(String from, String to) {
        return "SCHEMA " + new RenameColumnEvent(T, Collections.singletonMap(from, to));
    }

    /** The log line of a column of {@code t} whose type changed. */
    private static String retyped(String column, DataType from, DataType to) {
        return "SCHEMA "
                + new AlterColumnTypeEvent(
                        T,
                        Collections.singletonMap(column, to),
                        Collections.singletonMap(column, from));
    }

    /** The log line of a column of {@code t} dropped. */
    private static String dropped(String column) {
        return "SCHEMA " + new DropColumnEvent(T, Collections.singletonList(column));
    }

    /** Lines after the snapshot's CREATE and two rows. */
    private static List<String> streamed(List<String> lines) {
        return lines.stream()
                .filter(
                        l ->
                                !l.startsWith("CREATE ")
                                        && !l.startsWith("+I public.t[1,")
                                        && !l.startsWith("+I public.t[2,"))
                .collect(Collectors.toList());
    }

    private static PostgresPipelineSource source(TestDatabase db, boolean schemaChanges) {
        Map<String, String> options = SourceConfigs.connection(db, db.name() + ".public.t");
        options.put("schema-change.enabled", Boolean.toString(schemaChanges));
        return ((PostgresDataSource) SourceConfigs.create(options)).createSource();
    }
}
