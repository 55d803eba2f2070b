package io.pgcdc.connector.source;

import org.apache.flink.cdc.connectors.base.source.enumerator.IncrementalSourceEnumerator;

import io.pgcdc.connector.testbed.LogCapture;
import io.pgcdc.connector.testbed.NothingLeft;
import io.pgcdc.connector.testbed.PipelineJob;
import io.pgcdc.connector.testbed.PostgresExtension;
import io.pgcdc.connector.testbed.SinkGate;
import io.pgcdc.connector.testbed.SourceConfigs;
import io.pgcdc.connector.testbed.TableWriter;
import io.pgcdc.connector.testbed.TestDatabase;
import io.pgcdc.connector.testbed.UpsertView;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Stream-only startup modes ({@code latest-offset}, {@code committed-offset}) keep one stream split
 * for the job's life. On a task failover Flink hands the enumerator each reset subtask's
 * uncheckpointed assignments, an empty list; that must not make it plan a second stream split
 * (FLINK-38618), which a second reader would stream from the same slot, or which would replace the
 * restored split's offset by the current WAL position.
 */
@ExtendWith(PostgresExtension.class)
class LatestOffsetFailoverITCase {

    private static final Duration TIMEOUT = Duration.ofMinutes(3);
    private static final String STREAM_SPLIT_ASSIGNED =
            "Assign split StreamSplit{splitId='stream-split'";

    /** Debezium's WARN when START_REPLICATION finds the slot active (another reader streams it). */
    private static final String SLOT_BUSY = "Failed to start replication stream at";

    private static final String TASK_FAILED = "switched from RUNNING to FAILED";
    private static final String WRITTEN_WHILE_STREAMING =
            "SELECT id, v, note FROM kv WHERE id >= 1000";

    /**
     * A task fails mid-stream (a sink record) while a writer writes; the job restarts from its last
     * checkpoint. Expected: the stream split is assigned once, for the whole run; the job streams
     * on without further failures; every change written after the stream started reaches the sink.
     */
    @ParameterizedTest(name = "{0}, parallelism {1}")
    @CsvSource({"latest-offset, 2", "committed-offset, 3"})
    void aTaskFailoverKeepsTheOneStreamSplit(String mode, int parallelism, TestDatabase db)
            throws Exception {
        TableWriter.createTable(db, 10);
        if (mode.equals("committed-offset")) {
            db.execute(
                    "CREATE PUBLICATION dbz_publication FOR TABLE kv",
                    "SELECT pg_create_logical_replication_slot('"
                            + db.slotName()
                            + "', 'pgoutput')");
        }
        Map<String, String> options = SourceConfigs.connection(db, db.name() + ".public.kv");
        options.put("scan.startup.mode", mode);
        PostgresDataSource source = (PostgresDataSource) SourceConfigs.create(options);

        try (LogCapture log =
                        LogCapture.logger(IncrementalSourceEnumerator.class.getName(), Level.INFO);
                SinkGate gate = SinkGate.open();
                PipelineJob job =
                        PipelineJob.start(
                                source.createSource(),
                                parallelism,
                                StreamFaultsITCase.restarts(),
                                gate)) {
            assertThat(TestDatabase.await(TIMEOUT, () -> db.globalSlotReader() != null))
                    .as("streaming")
                    .isTrue();
            try (TableWriter writer = TableWriter.start(db, 1_000)) {
                // rows at the sink: a checkpoint holding the stream split's offset has completed
                job.await(
                        "the first changes at the sink",
                        TIMEOUT,
                        events -> events.dataLines().size() >= 100);
                gate.failOnNextRecord();
                assertThat(TestDatabase.await(TIMEOUT, () -> gate.failures() == 1))
                        .as("the task failed")
                        .isTrue();
                writer.awaitMoreSteps(300, TIMEOUT);
            }

            Map<String, String> expected = UpsertView.inDatabase(db, WRITTEN_WHILE_STREAMING);
            try {
                job.await(
                        "the sink to match the rows written while streaming",
                        TIMEOUT,
                        events -> UpsertView.of("kv", events.dataLines()).equals(expected));
            } catch (AssertionError e) {
                throw new AssertionError(
                        UpsertView.difference(expected, UpsertView.of("kv", job.log().dataLines())),
                        e);
            }
            assertThat(count(log.text(), STREAM_SPLIT_ASSIGNED))
                    .as(
                            "assignments of the stream split, the failover included (the restored"
                                    + " reader keeps its own)")
                    .isEqualTo(1);
            assertThat(count(log.text(), SLOT_BUSY))
                    .as("readers that found the slot in use by another reader of the job")
                    .isZero();
            assertThat(count(log.text(), TASK_FAILED))
                    .as("task failures: only the injected one")
                    .isEqualTo(1);
            NothingLeft.afterClosing(job, db);
        }
    }

    private static int count(String text, String what) {
        return text.split(Pattern.quote(what), -1).length - 1;
    }
}
