package io.pgcdc.connector.source;

import io.pgcdc.connector.testbed.EventLog;
import io.pgcdc.connector.testbed.LogCapture;
import io.pgcdc.connector.testbed.PipelineJob;
import io.pgcdc.connector.testbed.PostgresServer;
import io.pgcdc.connector.testbed.SourceConfigs;
import io.pgcdc.connector.testbed.TestDatabase;
import io.pgcdc.connector.testbed.TestDatabases;
import org.apache.logging.log4j.Level;
import org.assertj.core.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A restored stream resumes exactly after the last thing its savepoint says it emitted, when the
 * next transaction's first change starts at the end of the previous commit (nothing else written in
 * between), so that the offset of "the commit ending at Y" and of "the change at Y" hold the same
 * three positions:
 *
 * <ul>
 *   <li>stopped while idle, the savepoint holds a heartbeat's offset at the end of the last commit:
 *       the change at Y was not emitted and must be (FLINK-39265: Debezium's WAL position search
 *       took it for one already processed and dropped it);
 *   <li>stopped right after that change, before any heartbeat, the savepoint holds the change's own
 *       offset: it was emitted and must not be again (PostgreSQL resends its transaction).
 * </ul>
 *
 * <p>Each test runs alone on its own server: the WAL is cluster-wide and the scenario needs two
 * records adjacent.
 */
@Tag("core")
class CommitBoundaryRestoreITCase {

    private static final Duration TIMEOUT = Duration.ofMinutes(2);
    private static final String WAL_POSITION_LOCATOR =
            "io.debezium.connector.postgresql.connection.WalPositionLocator";

    /**
     * Row 1 is streamed, heartbeats checkpoint the end of its commit (Y), the job stops with a
     * savepoint; while it is stopped row 2 is inserted as the next WAL record after Y (checked);
     * the restored job must emit row 2, then row 3 written after the restore.
     */
    @Test
    void theFirstChangeAfterAnIdleStopIsRead(@TempDir Path savepoints) throws Exception {
        onASeparateServer(db -> stopIdleInsertAndRestore(db, savepoints));
    }

    /**
     * Rows 1 and 2 are inserted in two transactions, row 2's insert the next WAL record after row
     * 1's commit (checked); the job stops with a savepoint right after emitting row 2, before any
     * heartbeat; the restored job must emit only row 3, written after the restore.
     */
    @Test
    void theLastChangeBeforeAStopIsNotEmittedAgain(@TempDir Path savepoints) throws Exception {
        onASeparateServer(db -> stopAfterAChangeAtACommitEndAndRestore(db, savepoints));
    }

    private static void stopAfterAChangeAtACommitEndAndRestore(TestDatabase db, Path savepoints)
            throws Exception {
        PostgresDataSource source = latestOffsetSource(db, "1h"); // no heartbeat replaces row 2's
        String savepoint;
        String endOfRow1;
        try (PipelineJob job = PipelineJob.start(source.createSource(), 1)) {
            awaitStreaming(db, "streaming");
            endOfRow1 = insertAndReturnWalEnd(db, "INSERT INTO t VALUES (1, 'first')");
            db.execute("INSERT INTO t VALUES (2, 'at the end of the first commit')");
            job.await("rows 1 and 2", TIMEOUT, log -> ids(log).containsAll(Set.of(1, 2)));
            savepoint = job.stopWithSavepoint(savepoints);
        }
        assertThat(TestDatabase.await(TIMEOUT, () -> db.slotHolder(db.slotName()) == null))
                .as("slot released")
                .isTrue();
        // the precondition: row 2's insert is the next WAL record after row 1's commit (else:
        // skipped, not red); the last INSERT ('I') the slot still holds is row 2's
        Assumptions.assumeThat(
                        db.query(
                                "SELECT lsn::text FROM pg_logical_slot_peek_binary_changes('"
                                        + db.slotName()
                                        + "', NULL, NULL, 'proto_version', '1',"
                                        + " 'publication_names', 'dbz_publication') WHERE"
                                        + " get_byte(data, 0) = ascii('I') ORDER BY lsn DESC"
                                        + " LIMIT 1")) // max(pg_lsn) needs 13
                .as("the WAL position of row 2's INSERT: the end of row 1's commit")
                .containsExactly(List.of(endOfRow1));

        try (PipelineJob job =
                PipelineJob.start(source.createSource(), 1, PipelineJob.restoringFrom(savepoint))) {
            awaitStreaming(db, "streaming again");
            db.execute("INSERT INTO t VALUES (3, 'after the restore')");
            job.await("row 3", TIMEOUT, log -> ids(log).contains(3));
            assertThat(ids(job.log())).as("rows the restored job emitted").containsExactly(3);
        }
    }

    /** Table t and a source that streams it from the current end of the WAL. */
    private static PostgresDataSource latestOffsetSource(TestDatabase db, String heartbeatInterval)
            throws Exception {
        db.execute("CREATE TABLE t (id INT PRIMARY KEY, v TEXT)");
        Map<String, String> options = SourceConfigs.connection(db, db.name() + ".public.t");
        options.put("scan.startup.mode", "latest-offset");
        options.put("heartbeat.interval", heartbeatInterval);
        options.put("scan.lsn-commit.checkpoints-num-delay", "0");
        return (PostgresDataSource) SourceConfigs.create(options);
    }

    private static void awaitStreaming(TestDatabase db, String what) {
        assertThat(TestDatabase.await(TIMEOUT, () -> db.globalSlotReader() != null))
                .as(what)
                .isTrue();
    }

    /** Runs a scenario on a server of its own, autovacuum off, so that nothing else writes WAL. */
    private static void onASeparateServer(Scenario scenario) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                System.getenv("PG_TEST_URL") == null, "needs a server of its own");
        PostgresServer server = PostgresServer.startSeparate(Map.of("autovacuum", "off"));
        TestDatabase db = TestDatabases.create(server);
        try {
            scenario.run(db);
        } finally {
            TestDatabases.drop(db);
            server.close();
        }
    }

    private interface Scenario {
        void run(TestDatabase db) throws Exception;
    }

    private static void stopIdleInsertAndRestore(TestDatabase db, Path savepoints)
            throws Exception {
        PostgresDataSource source = latestOffsetSource(db, "100ms");
        String savepoint;
        String endOfRow1;
        try (PipelineJob job = PipelineJob.start(source.createSource(), 1)) {
            awaitStreaming(db, "streaming");
            endOfRow1 = insertAndReturnWalEnd(db, "INSERT INTO t VALUES (1, 'before the stop')");
            job.await("row 1", TIMEOUT, log -> ids(log).contains(1));
            // a completed checkpoint holds the heartbeat's offset at the end of row 1's commit
            assertThat(
                            TestDatabase.await(
                                    TIMEOUT,
                                    () ->
                                            db.queryLong(
                                                            "SELECT count(*) FROM"
                                                                    + " pg_replication_slots WHERE"
                                                                    + " slot_name = '"
                                                                    + db.slotName()
                                                                    + "' AND confirmed_flush_lsn >="
                                                                    + " '"
                                                                    + endOfRow1
                                                                    + "'")
                                                    == 1))
                    .as("the slot confirmed the end of row 1's commit, %s", endOfRow1)
                    .isTrue();
            savepoint = job.stopWithSavepoint(savepoints);
        }
        assertThat(TestDatabase.await(TIMEOUT, () -> db.slotHolder(db.slotName()) == null))
                .as("slot released")
                .isTrue();

        // the precondition: nothing was written to the WAL since row 1's commit (else: skipped, not
        // red)
        Assumptions.assumeThat(db.query("SELECT pg_current_wal_insert_lsn()::text").get(0).get(0))
                .as(
                        "the WAL insert position while stopped (anything written since row 1 breaks"
                                + " the scenario)")
                .isEqualTo(endOfRow1);
        db.execute("INSERT INTO t VALUES (2, 'while stopped')");
        // BEGIN ('B') and INSERT ('I') as the slot decodes row 2, once flushed (synchronous_commit
        // is off); peeking consumes nothing
        String peek =
                "SELECT DISTINCT lsn::text FROM pg_logical_slot_peek_binary_changes('"
                        + db.slotName()
                        + "', NULL, NULL, 'proto_version', '1', 'publication_names',"
                        + " 'dbz_publication') WHERE get_byte(data, 0) IN (ascii('B'), ascii('I'))";
        TestDatabase.await(TIMEOUT, () -> !db.query(peek).isEmpty());
        Assumptions.assumeThat(db.query(peek))
                .as("the WAL positions of row 2's BEGIN and INSERT: the end of row 1's commit")
                .containsExactly(List.of(endOfRow1));

        try (LogCapture locator = LogCapture.logger(WAL_POSITION_LOCATOR, Level.DEBUG);
                PipelineJob job =
                        PipelineJob.start(
                                source.createSource(), 1, PipelineJob.restoringFrom(savepoint))) {
            awaitStreaming(db, "streaming again");
            db.execute("INSERT INTO t VALUES (3, 'after the restore')");
            job.await("row 3", TIMEOUT, log -> ids(log).contains(3));
            assertThat(ids(job.log()))
                    .as(
                            "rows the restored job emitted; Debezium's WAL position search"
                                    + " said:%n%s",
                            locator.text()
                                    .lines()
                                    .filter(line -> line.contains(WAL_POSITION_LOCATOR))
                                    .collect(Collectors.joining("\n")))
                    .containsExactly(2, 3);
        }
    }

    /** Runs the insert and returns {@code pg_current_wal_insert_lsn()} right after its commit. */
    private static String insertAndReturnWalEnd(TestDatabase db, String insert) throws Exception {
        try (Connection c = db.connect();
                Statement s = c.createStatement()) {
            s.execute(insert);
            try (ResultSet rs = s.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    private static Set<Integer> ids(EventLog log) {
        Set<Integer> ids = new TreeSet<>();
        for (String line : log.dataLines()) {
            ids.add(Integer.parseInt(line.substring(line.indexOf('[') + 1, line.indexOf(','))));
        }
        return ids;
    }
}
