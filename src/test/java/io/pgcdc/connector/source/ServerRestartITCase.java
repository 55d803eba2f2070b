package io.pgcdc.connector.source;

import io.pgcdc.connector.testbed.NothingLeft;
import io.pgcdc.connector.testbed.PipelineJob;
import io.pgcdc.connector.testbed.PostgresServer;
import io.pgcdc.connector.testbed.TableWriter;
import io.pgcdc.connector.testbed.TestDatabase;
import io.pgcdc.connector.testbed.TestDatabases;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole PostgreSQL server is restarted (fast shutdown, same data directory and port) while the
 * job streams: the job fails, restarts until the server is back, resumes from its last checkpoint,
 * and the sink ends up with exactly the table's rows.
 */
@Tag("core")
class ServerRestartITCase {

    private static final Logger LOG = LoggerFactory.getLogger(ServerRestartITCase.class);

    @ParameterizedTest(name = "parallelism {0}, backfill {1}")
    @MethodSource("io.pgcdc.connector.testbed.FaultMatrix#combinations")
    void theServerIsRestartedWhileStreaming(
            int parallelism, boolean backfill, @TempDir Path dataDirectory) throws Exception {
        PostgresServer server = PostgresServer.startRestartable(dataDirectory);
        try {
            TestDatabase db = TestDatabases.create(server);
            StreamFaultsITCase.createKv(db);
            try (PipelineJob job =
                    PipelineJob.start(
                            StreamFaultsITCase.source(db, backfill).createSource(),
                            parallelism,
                            PipelineJob.withRestarts(30, Duration.ofSeconds(1)))) {
                StreamFaultsITCase.awaitStreaming(job, db);
                try (TableWriter writer = TableWriter.start(db, 1_000)) {
                    writer.awaitMoreSteps(100, StreamFaultsITCase.TIMEOUT);
                }
                Duration shutdown = server.stop(Duration.ofMinutes(2));
                LOG.info(
                        "fast shutdown with the job streaming took " + shutdown.toMillis() + " ms");
                server.startAgain();
                try (TableWriter writer = TableWriter.start(db, 100_000)) {
                    writer.awaitMoreSteps(100, StreamFaultsITCase.TIMEOUT);
                }
                assertThat(
                                TestDatabase.await(
                                        StreamFaultsITCase.TIMEOUT,
                                        () -> db.globalSlotReader() != null))
                        .as("streaming again after the restart")
                        .isTrue();
                StreamFaultsITCase.awaitSinkMatchesTable(job, db);
                NothingLeft.afterClosing(job, db);
            }
            TestDatabases.drop(db);
        } finally {
            server.close();
        }
    }
}
