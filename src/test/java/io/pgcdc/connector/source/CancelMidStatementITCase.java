package io.pgcdc.connector.source;

import io.pgcdc.connector.testbed.NothingLeft;
import io.pgcdc.connector.testbed.PipelineJob;
import io.pgcdc.connector.testbed.PostgresExtension;
import io.pgcdc.connector.testbed.TestDatabase;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A job cancelled while one of its statements waits on the server: the statement ends with its
 * owner, instead of running on (a backend nobody reads from, holding its snapshot) and completing
 * later (a backfill slot that nobody drops retains WAL forever).
 */
@Tag("core")
@ExtendWith(PostgresExtension.class)
class CancelMidStatementITCase {

    private static final Logger LOG = LoggerFactory.getLogger(CancelMidStatementITCase.class);

    private static final Duration TIMEOUT = Duration.ofMinutes(2);

    /**
     * {@code pg_create_logical_replication_slot} waits for the transactions running when it
     * started; the reader is cancelled in that wait, and the transaction ends only afterwards.
     */
    @Test
    void aBackfillSlotWhoseCreationWasCancelledIsNeverLeftBehind(TestDatabase db) throws Exception {
        SnapshotTable table = SnapshotTable.create(db, 5);
        PostgresDataSource source = table.source(true);
        createUserSlot(
                db); // so that the enumerator's own slot creation does not wait for the transaction
        try (Connection blocker = openTransactionWithXid(db)) {
            PipelineJob job = PipelineJob.start(source.createSource(), 1);
            assertThat(
                            TestDatabase.await(
                                    TIMEOUT,
                                    () -> waiting(db, "pg_create_logical_replication_slot")))
                    .as("the reader waits to create its backfill slot")
                    .isTrue();
            try {
                NothingLeft.afterClosing(job, db);
            } catch (AssertionError e) {
                LOG.info("EXPERIMENT " + e.getMessage().split("\n")[0]);
            }
            LOG.info(
                    "EXPERIMENT before rollback "
                            + db.query(
                                    "SELECT pid, application_name, state, wait_event_type,"
                                        + " left(query,60) FROM pg_stat_activity WHERE datname ="
                                        + " current_database()")
                            + " slots "
                            + db.slots());
            blocker.rollback();
            Thread.sleep(2000);
            LOG.info(
                    "EXPERIMENT after rollback "
                            + db.query(
                                    "SELECT pid, application_name, state, wait_event_type,"
                                        + " left(query,60) FROM pg_stat_activity WHERE datname ="
                                        + " current_database()")
                            + " slots "
                            + db.slots());
        }
        assertThat(TestDatabase.await(NothingLeft.DEADLINE, () -> db.slots().size() > 1))
                .as("a slot other than the user's after the transaction ended: %s", db.slots())
                .isFalse();
    }

    /** The chunk splitter's first query on a table waits for a lock another session holds. */
    @Test
    void theEnumeratorsChunkQueryEndsWithTheEnumerator(TestDatabase db) throws Exception {
        SnapshotTable table = SnapshotTable.create(db, 5);
        PostgresDataSource source = table.source(false);
        createUserSlot(db);
        try (Connection locker = db.connect()) {
            locker.setAutoCommit(false);
            try (Statement s = locker.createStatement()) {
                s.execute("LOCK TABLE items IN ACCESS EXCLUSIVE MODE");
            }
            PipelineJob job = PipelineJob.start(source.createSource(), 1);
            assertThat(TestDatabase.await(TIMEOUT, () -> waiting(db, "items")))
                    .as("the enumerator waits for the table lock")
                    .isTrue();
            NothingLeft.afterClosing(job, db); // the lock is still held
            locker.rollback();
        }
    }

    private static void createUserSlot(TestDatabase db) {
        db.execute(
                "SELECT pg_create_logical_replication_slot('" + db.slotName() + "', 'pgoutput')");
    }

    /** A session whose transaction has an xid, so a slot created meanwhile waits for it to end. */
    private static Connection openTransactionWithXid(TestDatabase db) throws Exception {
        Connection c = db.connect();
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            s.execute("SELECT txid_current()");
        }
        return c;
    }

    /** Whether a session of ours runs a statement mentioning the text and waits for a lock. */
    private static boolean waiting(TestDatabase db, String text) {
        List<List<String>> rows =
                db.query(
                        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND"
                                + " application_name LIKE 'pgcdc-%' AND state = 'active' AND"
                                + " wait_event_type = 'Lock' AND query LIKE '%"
                                + text
                                + "%'");
        return !rows.isEmpty();
    }
}
