package io.pgcdc.connector.source;

import io.pgcdc.connector.testbed.NothingLeft;
import io.pgcdc.connector.testbed.PipelineJob;
import io.pgcdc.connector.testbed.PostgresServer;
import io.pgcdc.connector.testbed.TableWriter;
import io.pgcdc.connector.testbed.TestDatabase;
import io.pgcdc.connector.testbed.TestDatabases;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole PostgreSQL server is restarted (fast shutdown, same data directory and port) while the
 * job streams: the job fails, restarts until the server is back, resumes from its last checkpoint,
 * and the sink ends up with exactly the table's rows.
 */
@Tag("core")
class ServerRestartTest {

    @ParameterizedTest(name = "parallelism {0}, backfill {1}")
    @MethodSource("io.pgcdc.connector.testbed.FaultMatrix#combinations")
    void theServerIsRestartedWhileStreaming(int parallelism, boolean backfill, @TempDir Path dataDirectory)
            throws Exception {
        PostgresServer server = PostgresServer.startRestartable(dataDirectory);
        try {
            TestDatabase db = TestDatabases.create(server);
            StreamFaultsTest.createKv(db);
            try (PipelineJob job =
                    PipelineJob.start(
                            StreamFaultsTest.source(db, backfill).createSource(), parallelism,
                            PipelineJob.withRestarts(30, Duration.ofSeconds(1)))) {
                StreamFaultsTest.awaitStreaming(job, db);
                try (TableWriter writer = TableWriter.start(db, 1_000)) {
                    writer.awaitMoreSteps(100, StreamFaultsTest.TIMEOUT);
                }
                Duration shutdown = server.stop(Duration.ofMinutes(2));
                System.out.println("fast shutdown with the job streaming took " + shutdown.toMillis() + " ms");
                server.startAgain();
                try (TableWriter writer = TableWriter.start(db, 100_000)) {
                    writer.awaitMoreSteps(100, StreamFaultsTest.TIMEOUT);
                }
                assertThat(TestDatabase.await(StreamFaultsTest.TIMEOUT, () -> db.globalSlotReader() != null))
                        .as("streaming again after the restart").isTrue();
                StreamFaultsTest.awaitSinkMatchesTable(job, db);
                NothingLeft.afterClosing(job, db);
            }
            TestDatabases.drop(db);
        } finally {
            server.close();
        }
    }
}
