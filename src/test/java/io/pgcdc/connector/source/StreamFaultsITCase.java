package io.pgcdc.connector.source;

import org.apache.flink.configuration.Configuration;

import io.pgcdc.connector.testbed.NothingLeft;
import io.pgcdc.connector.testbed.PipelineJob;
import io.pgcdc.connector.testbed.PostgresExtension;
import io.pgcdc.connector.testbed.SourceConfigs;
import io.pgcdc.connector.testbed.TableWriter;
import io.pgcdc.connector.testbed.TestDatabase;
import io.pgcdc.connector.testbed.UpsertView;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Faults while streaming, each with checkpointing on, a restart strategy allowing several restarts
 * and writes going on: afterwards a keyed sink holds exactly the table's rows (nothing lost,
 * replays fold away), and once the job ends nothing of ours is left on the database.
 */
@Tag("core")
@ExtendWith(PostgresExtension.class)
class StreamFaultsITCase {

    static final Duration TIMEOUT = Duration.ofMinutes(3);
    static final int SNAPSHOT_ROWS = 300;
    static final String SELECT = "SELECT id, v, note FROM kv";

    @ParameterizedTest(name = "parallelism {0}, backfill {1}")
    @MethodSource("io.pgcdc.connector.testbed.FaultMatrix#combinations")
    void theWalsenderOfOurSlotIsTerminated(int parallelism, boolean backfill, TestDatabase db)
            throws Exception {
        createKv(db);
        try (PipelineJob job =
                PipelineJob.start(source(db, backfill).createSource(), parallelism, restarts())) {
            awaitStreaming(job, db);
            Integer walsender;
            try (TableWriter writer = TableWriter.start(db, 1_000)) {
                writer.awaitMoreSteps(100, TIMEOUT);
                walsender = db.globalSlotReader();
                assertThat(db.queryLong("SELECT count(pg_terminate_backend(" + walsender + "))"))
                        .isEqualTo(1);
                assertThat(
                                TestDatabase.await(
                                        TIMEOUT,
                                        () -> {
                                            Integer now = db.globalSlotReader();
                                            return now != null && !now.equals(walsender);
                                        }))
                        .as("a new walsender streams the slot")
                        .isTrue();
                writer.awaitMoreSteps(100, TIMEOUT);
            }
            awaitSinkMatchesTable(job, db);
            NothingLeft.afterClosing(job, db);
        }
    }

    @ParameterizedTest(name = "parallelism {0}, backfill {1}")
    @MethodSource("io.pgcdc.connector.testbed.FaultMatrix#combinations")
    void aLongTransactionCommitsWhileCheckpointsRunAndTheStreamFailsHalfWayThroughIt(
            int parallelism, boolean backfill, TestDatabase db, @TempDir Path markers)
            throws Exception {
        createKv(db);
        Path paused = markers.resolve("paused");
        Path release = markers.resolve("release");
        // the task thread holds at the transaction's 20,000th row: Debezium stops reading
        // mid-transaction
        PostgresPipelineSource source =
                InjectingDeserializer.pausingOnce(source(db, backfill), 120_000, paused, release);
        try (PipelineJob job = PipelineJob.start(source, parallelism, restarts())) {
            awaitStreaming(job, db);
            // one transaction of 50,000 rows; checkpoints complete every second while it streams
            db.execute("INSERT INTO kv SELECT i, i, 'big' FROM generate_series(100001, 150000) i");
            assertThat(TestDatabase.await(TIMEOUT, () -> Files.exists(paused)))
                    .as("half-way through")
                    .isTrue();
            Integer walsender = db.globalSlotReader();
            assertThat(walsender).as("the stream's walsender").isNotNull();
            assertThat(db.queryLong("SELECT count(pg_terminate_backend(" + walsender + "))"))
                    .isEqualTo(1);
            Files.createFile(release);
            db.execute("INSERT INTO kv VALUES (200000, 0, 'after')");
            awaitSinkMatchesTable(job, db);
            NothingLeft.afterClosing(job, db);
        }
    }

    @ParameterizedTest(name = "parallelism {0}, backfill {1}")
    @MethodSource("io.pgcdc.connector.testbed.FaultMatrix#combinations")
    void stoppedWithASavepointAndResumed30sLaterWithWritesInBetween(
            int parallelism, boolean backfill, TestDatabase db, @TempDir Path savepoints)
            throws Exception {
        createKv(db);
        PostgresDataSource source = source(db, backfill);
        String savepoint;
        List<String> firstRun;
        try (PipelineJob job = PipelineJob.start(source.createSource(), parallelism, restarts())) {
            awaitStreaming(job, db);
            try (TableWriter writer = TableWriter.start(db, 1_000)) {
                writer.awaitMoreSteps(100, TIMEOUT);
                savepoint = job.stopWithSavepoint(savepoints);
                firstRun = job.log().dataLines();
                // the scenario itself, not a wait for something: the writer goes on for 30 s while
                // no job runs
                Thread.sleep(30_000);
            }
        }
        assertThat(
                        TestDatabase.await(
                                NothingLeft.DEADLINE,
                                () -> NothingLeft.labelledSessions(db).isEmpty()))
                .as("sessions while stopped: %s", db.connectorSessions())
                .isTrue();
        Configuration resume = restarts();
        resume.addAll(PipelineJob.restoringFrom(savepoint));
        try (PipelineJob job = PipelineJob.start(source.createSource(), parallelism, resume)) {
            db.execute("INSERT INTO kv VALUES (900000, 1, 'after resume')");
            Map<String, String> expected = UpsertView.inDatabase(db, SELECT);
            job.await(
                    "the sink to match the table across both runs",
                    TIMEOUT,
                    log -> UpsertView.of("kv", firstRun, log.dataLines()).equals(expected));
            assertThat(UpsertView.of("kv", firstRun))
                    .as("the first run's view")
                    .isNotEqualTo(expected);
            NothingLeft.afterClosing(job, db);
        }
    }

    @ParameterizedTest(name = "parallelism {0}, backfill {1}")
    @MethodSource("io.pgcdc.connector.testbed.FaultMatrix#combinations")
    void aTaskFailsMidStream(
            int parallelism, boolean backfill, TestDatabase db, @TempDir Path markers)
            throws Exception {
        createKv(db);
        Path marker = markers.resolve("failed-once");
        PostgresPipelineSource failingOnce =
                InjectingDeserializer.failingOnce(source(db, backfill), 1_150, marker);
        try (PipelineJob job = PipelineJob.start(failingOnce, parallelism, restarts())) {
            awaitStreaming(job, db);
            try (TableWriter writer = TableWriter.start(db, 1_000)) {
                assertThat(TestDatabase.await(TIMEOUT, () -> Files.exists(marker)))
                        .as("the task failed")
                        .isTrue();
                writer.awaitMoreSteps(100, TIMEOUT);
            }
            awaitSinkMatchesTable(job, db);
            NothingLeft.afterClosing(job, db);
        }
    }

    static void createKv(TestDatabase db) {
        TableWriter.createTable(db, SNAPSHOT_ROWS);
    }

    static PostgresDataSource source(TestDatabase db) {
        return source(db, false);
    }

    static PostgresDataSource source(TestDatabase db, boolean backfill) {
        Map<String, String> options = SourceConfigs.connection(db, db.name() + ".public.kv");
        options.put("scan.incremental.snapshot.chunk.size", "100");
        options.put("scan.incremental.snapshot.backfill.skip", String.valueOf(!backfill));
        return (PostgresDataSource) SourceConfigs.create(options);
    }

    static Configuration restarts() {
        return PipelineJob.withRestarts(10, Duration.ofSeconds(1));
    }

    static void awaitStreaming(PipelineJob job, TestDatabase db) {
        job.await(
                "the snapshot",
                TIMEOUT,
                log -> UpsertView.of("kv", log.dataLines()).size() == SNAPSHOT_ROWS);
        assertThat(TestDatabase.await(TIMEOUT, () -> db.globalSlotReader() != null))
                .as("streaming")
                .isTrue();
    }

    /** Writes have stopped: the sink converges to exactly the table's rows. */
    static void awaitSinkMatchesTable(PipelineJob job, TestDatabase db) {
        Map<String, String> expected = UpsertView.inDatabase(db, SELECT);
        try {
            job.await(
                    "the sink to match the table",
                    TIMEOUT,
                    log -> UpsertView.of("kv", log.dataLines()).equals(expected));
        } catch (AssertionError e) {
            throw new AssertionError(
                    UpsertView.difference(expected, UpsertView.of("kv", job.log().dataLines())), e);
        }
    }
}
