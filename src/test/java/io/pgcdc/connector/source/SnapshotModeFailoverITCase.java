package io.pgcdc.connector.source;

import org.apache.flink.connector.base.source.reader.SourceReaderBase;

import io.pgcdc.connector.testbed.LogCapture;
import io.pgcdc.connector.testbed.PipelineJob;
import io.pgcdc.connector.testbed.PostgresExtension;
import io.pgcdc.connector.testbed.SinkGate;
import io.pgcdc.connector.testbed.SourceConfigs;
import io.pgcdc.connector.testbed.TableWriter;
import io.pgcdc.connector.testbed.TestDatabase;
import io.pgcdc.connector.testbed.UpsertView;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code snapshot} startup mode ends with a bounded stream split (up to the snapshot's highest
 * watermark); its slot is dropped when the job has finished. A failover in between must not lose
 * the slot: the restored job reads the bounded stream again from its checkpoint.
 */
@ExtendWith(PostgresExtension.class)
class SnapshotModeFailoverITCase {

    private static final Duration TIMEOUT = Duration.ofMinutes(3);
    private static final int ROWS = 2_000;
    private static final String SELECT = "SELECT id, v, note FROM kv";
    private static final String STREAM_SPLIT_FINISHED = "Finished reading split(s) [stream-split]";
    private static final String STREAM_SPLIT_ADDED = "Adding split(s) to reader: [StreamSplit";
    private static final String SLOT_DROPPED = "Dropped slot '";

    /**
     * Parallelism 2, a slow sink; every row is updated once the first chunk has been read, so the
     * bounded stream split has the earlier chunks' updates to emit. A task fails in the first
     * checkpoint after the stream split finished, before the job ended. Expected: the slot survives
     * the failover and is dropped once, when the job has finished; the sink holds exactly the
     * table.
     */
    @Test
    void aFailoverAfterTheBoundedStreamFinishedKeepsTheSlot(TestDatabase db) throws Exception {
        TableWriter.createTable(db, ROWS);
        Map<String, String> options = SourceConfigs.connection(db, db.name() + ".public.kv");
        options.put("scan.startup.mode", "snapshot");
        options.put("scan.incremental.snapshot.chunk.size", "200");
        PostgresDataSource source = (PostgresDataSource) SourceConfigs.create(options);

        try (LogCapture log = LogCapture.logger(SourceReaderBase.class.getName(), Level.INFO);
                SinkGate gate = SinkGate.open().delayEachRecord(Duration.ofMillis(2));
                PipelineJob job =
                        PipelineJob.start(
                                source.createSource(), 2, StreamFaultsITCase.restarts(), gate)) {
            // the first chunk is read; the sink's pace (2 ms a row) holds the others back for
            // seconds
            assertThat(
                            TestDatabase.await(
                                    TIMEOUT,
                                    () ->
                                            log.text()
                                                    .contains(
                                                            "Finished reading split(s)"
                                                                    + " [public.kv:0]")))
                    .as("the first chunk read")
                    .isTrue();
            db.execute("UPDATE kv SET v = v + 1000000, note = 'updated'");
            gate.failAtCheckpointWhen(() -> log.text().contains(STREAM_SPLIT_FINISHED));

            assertThat(TestDatabase.await(TIMEOUT, () -> gate.failures() == 1))
                    .as(
                            "a task fails in the first checkpoint after the bounded stream split"
                                    + " finished")
                    .isTrue();
            assertThat(
                            TestDatabase.await(
                                    TIMEOUT, () -> count(log.text(), STREAM_SPLIT_ADDED) == 2))
                    .as("the restarted job holds the stream split again")
                    .isTrue();
            assertThat(count(log.text(), SLOT_DROPPED + db.snapshotModeSlot()))
                    .as(
                            "drops of the slot logged by the failover (the restored stream split"
                                    + " reads from it)")
                    .isZero();

            job.awaitFinished(TIMEOUT);
            Map<String, String> expected = UpsertView.inDatabase(db, SELECT);
            Map<String, String> actual = UpsertView.of("kv", job.log().dataLines());
            assertThat(actual)
                    .as(
                            "the sink holds exactly the table (%s)",
                            UpsertView.difference(expected, actual))
                    .isEqualTo(expected);
            assertThat(job.log().dataLines().stream().filter(line -> line.startsWith("+I")).count())
                    .as("each row's snapshot INSERT reaches the sink once")
                    .isEqualTo(ROWS);
            assertThat(count(log.text(), SLOT_DROPPED + db.snapshotModeSlot()))
                    .as("drops of the slot: one, once the job has finished")
                    .isEqualTo(1);
        }
        assertThat(TestDatabase.await(Duration.ofSeconds(10), () -> db.slots().isEmpty()))
                .as("no slot left after the bounded job ended: %s", db.slots())
                .isTrue();
    }

    private static int count(String text, String what) {
        Matcher m = Pattern.compile(Pattern.quote(what)).matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }
}
