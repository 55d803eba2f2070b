package io.pgcdc.connector.source;

import io.pgcdc.connector.testbed.NothingLeft;
import io.pgcdc.connector.testbed.PipelineJob;
import io.pgcdc.connector.testbed.PostgresServer;
import io.pgcdc.connector.testbed.TestDatabase;
import io.pgcdc.connector.testbed.TestDatabases;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Collections;

import static org.assertj.core.api.Assertions.assertThat;

/** The enumerator's start fails on the database: what it opened is closed all the same. */
class EnumeratorStartITCase {

    private static final Logger LOG = LoggerFactory.getLogger(EnumeratorStartITCase.class);

    /**
     * The server has no free replication slot left when the job starts (another consumer took the
     * last one after the job was created and checked): the job fails, and no session of ours, a
     * walsender included, is left behind.
     */
    @Test
    void theGlobalSlotCannotBeCreatedAndNothingIsLeft() throws Exception {
        PostgresServer server =
                PostgresServer.startSeparate(
                        Collections.singletonMap("max_replication_slots", "1"));
        TestDatabase db = TestDatabases.create(server);
        try {
            SnapshotTable table = SnapshotTable.create(db, 2);
            PostgresDataSource source = table.source(false); // created and checked with a slot free
            db.execute("SELECT pg_create_logical_replication_slot('another_consumer', 'pgoutput')");
            try (PipelineJob job = PipelineJob.start(source.createSource(), 1)) {
                assertThat(waitForFailure(job)).as("the job fails").isTrue();
                // the enumerator closes what it opened before its failure reaches the job (not
                // when a garbage collection happens to find the connection)
                assertThat(db.connectorSessions()).as("sessions as the job failed").isEmpty();
            }
            assertThat(
                            TestDatabase.await(
                                    NothingLeft.DEADLINE, () -> db.connectorSessions().isEmpty()))
                    .as("sessions 10 s after the job failed: %s", db.connectorSessions())
                    .isTrue();
            assertThat(db.slots()).as("slots").containsExactly("another_consumer");
        } finally {
            TestDatabases.drop(db);
            server.close();
        }
    }

    private static boolean waitForFailure(PipelineJob job) {
        try {
            job.awaitFinished(Duration.ofMinutes(2));
            return false;
        } catch (Exception e) {
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            LOG.info("The job failed: " + root);
            return true;
        }
    }
}
