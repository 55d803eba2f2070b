package io.pgcdc.connector.source;

import org.apache.flink.configuration.Configuration;

import io.pgcdc.connector.testbed.NothingLeft;
import io.pgcdc.connector.testbed.OtherConsumer;
import io.pgcdc.connector.testbed.PipelineJob;
import io.pgcdc.connector.testbed.PostgresExtension;
import io.pgcdc.connector.testbed.SinkGate;
import io.pgcdc.connector.testbed.SourceConfigs;
import io.pgcdc.connector.testbed.TestDatabase;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Other consumers' slots on a shared database, named like the job's: {@code <slot.name>_<n>} (the
 * backfill slots upstream names so), inactive and active. Whatever the job does (start, snapshot
 * with backfill, failover, cancel, the end of a {@code snapshot}-mode job) they stay, untouched:
 * not dropped, not advanced, not taken over.
 */
@Tag("core")
@ExtendWith(PostgresExtension.class)
class ForeignSlotsITCase {

    private static final Duration TIMEOUT = Duration.ofMinutes(2);

    @Test
    void lookAlikeSlotsSurviveStartBackfillFailoverAndCancel(TestDatabase db) throws Exception {
        StreamFaultsITCase.createKv(db);
        String ours = db.slotName();
        try (OtherConsumer other =
                        OtherConsumer.withSlots(
                                        db, ours + "_0", ours + "_1", ours + "_2024", ours + "_7")
                                .streamFrom(ours + "_7");
                SinkGate gate = SinkGate.open()) {
            Map<String, String> before = other.slotStates();
            PostgresDataSource source =
                    StreamFaultsITCase.source(db, true); // backfill: slots of its own
            PipelineJob job =
                    PipelineJob.start(
                            source.createSource(), 2, StreamFaultsITCase.restarts(), gate);
            StreamFaultsITCase.awaitStreaming(job, db);
            gate.failOnNextRecord();
            db.execute("INSERT INTO kv VALUES (1000001, 1, 'fails the task')");
            assertThat(TestDatabase.await(TIMEOUT, () -> gate.failures() == 1))
                    .as("the task failed")
                    .isTrue();
            db.execute("INSERT INTO kv VALUES (1000002, 2, 'after the failover')");
            job.await(
                    "a row after the failover",
                    TIMEOUT,
                    log ->
                            log.dataLines()
                                    .contains("+I public.kv[1000002, 2, after the failover]"));
            NothingLeft.afterClosing(job, db, before.keySet());
            assertThat(other.slotStates()).as("the other consumer's slots").isEqualTo(before);
        }
    }

    @Test
    void aSnapshotModeJobLeavesSlotsItDidNotCreate(TestDatabase db) throws Exception {
        StreamFaultsITCase.createKv(db);
        String ours = db.slotName();
        // the slot named in 'slot.name' exists already: the user's (or someone's), not the job's
        try (OtherConsumer other = OtherConsumer.withSlots(db, ours, ours + "_0", ours + "_1")) {
            Map<String, String> before = other.slotStates();
            Map<String, String> options = SourceConfigs.connection(db, db.name() + ".public.kv");
            options.put("scan.startup.mode", "snapshot");
            options.put("scan.incremental.snapshot.chunk.size", "100");
            options.put("scan.incremental.snapshot.backfill.skip", "false");
            try (PipelineJob job =
                    PipelineJob.start(
                            ((PostgresDataSource) SourceConfigs.create(options)).createSource(),
                            2,
                            new Configuration())) {
                job.awaitFinished(TIMEOUT);
                assertThat(job.log().dataLines()).hasSize(StreamFaultsITCase.SNAPSHOT_ROWS);
            }
            assertThat(
                            TestDatabase.await(
                                    NothingLeft.DEADLINE, () -> db.slots().size() == before.size()))
                    .as("slots after the bounded job ended: %s", db.slots())
                    .isTrue();
            assertThat(other.slotStates()).as("slots the job did not create").isEqualTo(before);
        }
    }
}
