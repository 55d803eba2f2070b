package io.pgcdc.connector.source;

import org.apache.flink.configuration.Configuration;

import io.pgcdc.connector.testbed.NothingLeft;
import io.pgcdc.connector.testbed.PipelineJob;
import io.pgcdc.connector.testbed.PostgresExtension;
import io.pgcdc.connector.testbed.SinkGate;
import io.pgcdc.connector.testbed.SourceConfigs;
import io.pgcdc.connector.testbed.TableWriter;
import io.pgcdc.connector.testbed.TestDatabase;
import io.pgcdc.connector.testbed.ThreadsLeft;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A job cancelled while its sink takes nothing: Debezium's threads are blocked on full queues. The
 * cancel completes within seconds, logs no error, and no thread of ours, Debezium's or
 * flink-cdc-base's is left (a thread dump after the job proves it).
 */
@Tag("core")
@ExtendWith(PostgresExtension.class)
class CancelUnderBackpressureITCase {

    private static final Duration TIMEOUT = Duration.ofMinutes(2);
    private static final String QUEUE = "io.debezium.connector.base.ChangeEventQueue";

    @Test
    void whileStreaming(TestDatabase db) throws Exception {
        TableWriter.createTable(db, 300);
        try (SinkGate gate = SinkGate.open()) {
            PipelineJob job =
                    PipelineJob.start(source(db, 100, true), 1, new Configuration(), gate);
            StreamFaultsITCase.awaitStreaming(job, db);
            gate.block();
            db.execute("INSERT INTO kv SELECT i, i, 'blocked' FROM generate_series(1001, 3000) i");
            assertThat(
                            TestDatabase.await(
                                    TIMEOUT,
                                    () ->
                                            ThreadsLeft.runningIn(
                                                    "debezium-reader-", QUEUE, "doEnqueue")))
                    .as("Debezium's stream thread waits for room in its full queue")
                    .isTrue();
            NothingLeft.afterClosing(job, db);
        }
    }

    @Test
    void whileSnapshotting(TestDatabase db) throws Exception {
        TableWriter.createTable(db, 3000);
        try (SinkGate gate = SinkGate.open()) {
            gate.block();
            PipelineJob job =
                    PipelineJob.start(source(db, 1000, true), 1, new Configuration(), gate);
            assertThat(
                            TestDatabase.await(
                                    TIMEOUT,
                                    () ->
                                            ThreadsLeft.runningIn(
                                                    "debezium-snapshot-reader-",
                                                    QUEUE,
                                                    "doEnqueue")))
                    .as("the snapshot thread waits for room in its full queue")
                    .isTrue();
            NothingLeft.afterClosing(job, db);
        }
    }

    private static PostgresPipelineSource source(
            TestDatabase db, int chunkSize, boolean skipBackfill) {
        Map<String, String> options = SourceConfigs.connection(db, db.name() + ".public.kv");
        options.put("scan.incremental.snapshot.chunk.size", String.valueOf(chunkSize));
        options.put("scan.incremental.snapshot.backfill.skip", String.valueOf(skipBackfill));
        options.put("debezium.max.queue.size", "64");
        options.put("debezium.max.batch.size", "16");
        return ((PostgresDataSource) SourceConfigs.create(options)).createSource();
    }
}
