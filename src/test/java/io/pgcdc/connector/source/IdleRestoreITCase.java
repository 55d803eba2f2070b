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
 * A job stopped while its stream is idle holds, in its savepoint, the offset of a heartbeat: the
 * end of the last commit it read, as processed and as committed position alike. The next
 * transaction's first change can start at exactly that WAL position (nothing else written in
 * between); the restored stream must emit it (FLINK-39265: Debezium's WAL position search took it
 * for a change already processed and dropped it).
 */
class IdleRestoreITCase {

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
        org.junit.jupiter.api.Assumptions.assumeTrue(
                System.getenv("PG_TEST_URL") == null, "needs a server of its own");
        // alone on its server: the WAL is cluster-wide, and the scenario needs two records adjacent
        PostgresServer server = PostgresServer.startSeparate(Map.of("autovacuum", "off"));
        TestDatabase db = TestDatabases.create(server);
        try {
            stopIdleInsertAndRestore(db, savepoints);
        } finally {
            TestDatabases.drop(db);
            server.close();
        }
    }

    private static void stopIdleInsertAndRestore(TestDatabase db, Path savepoints)
            throws Exception {
        db.execute("CREATE TABLE t (id INT PRIMARY KEY, v TEXT)");
        Map<String, String> options = SourceConfigs.connection(db, db.name() + ".public.t");
        options.put("scan.startup.mode", "latest-offset");
        options.put("heartbeat.interval", "100ms");
        options.put("scan.lsn-commit.checkpoints-num-delay", "0");
        PostgresDataSource source = (PostgresDataSource) SourceConfigs.create(options);

        String savepoint;
        String endOfRow1;
        try (PipelineJob job = PipelineJob.start(source.createSource(), 1)) {
            assertThat(TestDatabase.await(TIMEOUT, () -> db.globalSlotReader() != null))
                    .as("streaming")
                    .isTrue();
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
            assertThat(TestDatabase.await(TIMEOUT, () -> db.globalSlotReader() != null))
                    .as("streaming again")
                    .isTrue();
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
