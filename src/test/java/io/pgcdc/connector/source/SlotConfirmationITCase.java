package io.pgcdc.connector.source;

import io.pgcdc.connector.testbed.NothingLeft;
import io.pgcdc.connector.testbed.PipelineJob;
import io.pgcdc.connector.testbed.PostgresExtension;
import io.pgcdc.connector.testbed.SinkGate;
import io.pgcdc.connector.testbed.SourceConfigs;
import io.pgcdc.connector.testbed.TableWriter;
import io.pgcdc.connector.testbed.TestDatabase;
import io.pgcdc.connector.testbed.UpsertView;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The slot never confirms WAL that no completed checkpoint covers. A task fails right after the
 * slot's {@code confirmed_flush_lsn} first moved once streaming started, while a slow sink lets
 * Debezium read far ahead of what the source emitted and a writer keeps writing: the restored job
 * streams from its checkpoint, and PostgreSQL must still hold everything after it.
 *
 * <p>Checkpoints taken while a reader held no stream split (the whole snapshot phase) carry no
 * stream offset; postgres-cdc committed Debezium's live position for them, i.e. what had been read,
 * not what had been emitted, and a failure before the next checkpoint lost the difference.
 */
@Tag("core")
@ExtendWith(PostgresExtension.class)
class SlotConfirmationITCase {

    private static final Logger LOG = LoggerFactory.getLogger(SlotConfirmationITCase.class);

    private static final Duration TIMEOUT = Duration.ofMinutes(3);
    private static final int SNAPSHOT_ROWS = 3_000;

    @ParameterizedTest(name = "parallelism {0}, backfill {1}")
    @MethodSource("io.pgcdc.connector.testbed.FaultMatrix#combinations")
    void aFailoverRightAfterTheSlotFirstMovesLosesNothing(
            int parallelism, boolean backfill, TestDatabase db) throws Exception {
        TableWriter.createTable(db, SNAPSHOT_ROWS);
        Map<String, String> options = SourceConfigs.connection(db, db.name() + ".public.kv");
        options.put("scan.incremental.snapshot.chunk.size", "200");
        options.put("scan.incremental.snapshot.backfill.skip", String.valueOf(!backfill));
        // small batches keep checkpoints flowing past the slow sink (one batch is emitted at a
        // time)
        options.put("debezium.max.batch.size", "100");
        options.put("debezium.max.queue.size", "4000");
        PostgresDataSource source = (PostgresDataSource) SourceConfigs.create(options);

        try (SinkGate gate = SinkGate.open().delayEachRecord(Duration.ofMillis(1));
                TableWriter writer = TableWriter.start(db, 100_000);
                PipelineJob job =
                        PipelineJob.start(
                                source.createSource(),
                                parallelism,
                                StreamFaultsITCase.restarts(),
                                gate)) {
            // the snapshot takes a few checkpoints (1 ms a row at the gate); the writer fills the
            // WAL meanwhile
            job.await(
                    "the snapshot",
                    TIMEOUT,
                    log -> snapshotRowsSeen(log.dataLines()) == SNAPSHOT_ROWS);
            assertThat(TestDatabase.await(TIMEOUT, () -> db.globalSlotReader() != null))
                    .as("streaming")
                    .isTrue();

            // a slow sink: Debezium reads on while the source emits 200 records a second
            gate.delayEachRecord(Duration.ofMillis(5));
            String atStreamStart = db.confirmedFlushLsn();
            assertThat(TestDatabase.await(TIMEOUT, () -> db.slotConfirmedBeyond(atStreamStart)))
                    .as("the slot moves on from %s", atStreamStart)
                    .isTrue();
            String moved = db.confirmedFlushLsn();
            gate.failOnNextRecord();
            assertThat(TestDatabase.await(TIMEOUT, () -> gate.failures() == 1))
                    .as("the task failed")
                    .isTrue();
            LOG.info(
                    String.format(
                            "p=%d backfill=%s: slot moved %s -> %s; task failed after %d records"
                                    + " passed the sink",
                            parallelism, backfill, atStreamStart, moved, gate.passed()));

            gate.delayEachRecord(Duration.ZERO);
            writer.awaitMoreSteps(200, TIMEOUT);
            writer.close();
            StreamFaultsITCase.awaitSinkMatchesTable(job, db);
            NothingLeft.afterClosing(job, db);
        }
    }

    private static long snapshotRowsSeen(java.util.List<String> dataLines) {
        return UpsertView.of("kv", dataLines).keySet().stream()
                .filter(key -> Long.parseLong(key) <= SNAPSHOT_ROWS)
                .count();
    }
}
