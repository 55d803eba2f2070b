package io.pgcdc.connector.source;

import io.pgcdc.connector.testbed.NothingLeft;
import io.pgcdc.connector.testbed.PipelineJob;
import io.pgcdc.connector.testbed.PostgresExtension;
import io.pgcdc.connector.testbed.SourceConfigs;
import io.pgcdc.connector.testbed.TestDatabase;
import io.pgcdc.connector.testbed.UpsertView;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The slot follows the job: after checkpoints complete (and not before the configured number of
 * them), its confirmed_flush_lsn and restart_lsn pass the WAL of the changes the job read, so the
 * server can recycle that WAL on a busy database.
 */
@Tag("core")
@ExtendWith(PostgresExtension.class)
class WalHygieneITCase {

    private static final Logger LOG = LoggerFactory.getLogger(WalHygieneITCase.class);

    private static final int DELAY_CHECKPOINTS = 5; // checkpoints every second in PipelineJob

    @Test
    void theSlotConfirmsTheWalOfCheckpointedChanges(TestDatabase db) throws Exception {
        StreamFaultsITCase.createKv(db);
        Map<String, String> options = SourceConfigs.connection(db, db.name() + ".public.kv");
        options.put("scan.lsn-commit.checkpoints-num-delay", String.valueOf(DELAY_CHECKPOINTS));
        PostgresDataSource source = (PostgresDataSource) SourceConfigs.create(options);
        try (PipelineJob job = PipelineJob.start(source.createSource(), 1)) {
            StreamFaultsITCase.awaitStreaming(job, db);
            String restartBefore = slot(db, "restart_lsn");
            // a busy database: 20 transactions of 2,000 rows
            for (int i = 0; i < 20; i++) {
                db.execute(
                        "INSERT INTO kv SELECT g, g, 'busy' FROM generate_series("
                                + (10_000 + i * 2_000)
                                + ", "
                                + (10_000 + i * 2_000 + 1_999)
                                + ") g");
            }
            String written = db.query("SELECT pg_current_wal_insert_lsn()").get(0).get(0);
            Map<String, String> expected = UpsertView.inDatabase(db, StreamFaultsITCase.SELECT);
            // the collect sink hands rows over once a checkpoint that holds them completed
            job.await(
                    "every change",
                    StreamFaultsITCase.TIMEOUT,
                    log -> UpsertView.of("kv", log.dataLines()).equals(expected));
            assertThat(lsnAtLeast(db, "confirmed_flush_lsn", written))
                    .as("confirmed before %d more checkpoints completed", DELAY_CHECKPOINTS - 1)
                    .isFalse();

            assertThat(
                            TestDatabase.await(
                                    Duration.ofMinutes(1),
                                    () -> lsnAtLeast(db, "confirmed_flush_lsn", written)))
                    .as(
                            "confirmed_flush_lsn passes the changes' WAL (%s): %s",
                            written, slot(db, "confirmed_flush_lsn"))
                    .isTrue();
            assertThat(
                            TestDatabase.await(
                                    Duration.ofMinutes(1),
                                    () -> lsnAfter(db, "restart_lsn", restartBefore)))
                    .as(
                            "restart_lsn moves on from %s, so the server can recycle WAL",
                            restartBefore)
                    .isTrue();
            LOG.info(
                    String.format(
                            "WAL retained by the slot: %s bytes (the changes wrote %s bytes)",
                            db.query(
                                            "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(),"
                                                + " restart_lsn) FROM pg_replication_slots WHERE"
                                                + " slot_name = '"
                                                    + db.slotName()
                                                    + "'")
                                    .get(0)
                                    .get(0),
                            db.query(
                                            "SELECT pg_wal_lsn_diff('"
                                                    + written
                                                    + "', '"
                                                    + restartBefore
                                                    + "')")
                                    .get(0)
                                    .get(0)));
            NothingLeft.afterClosing(job, db);
        }
    }

    /**
     * With backfill, each reader reads its splits' changes from a slot of its own while the
     * snapshot runs. Once the snapshot is done nothing needs them: they go, while the job streams
     * on, instead of retaining every WAL segment written since, for as long as the job runs.
     */
    @Test
    void backfillSlotsGoWhenTheSnapshotIsDone(TestDatabase db) throws Exception {
        StreamFaultsITCase.createKv(db);
        try (PipelineJob job =
                PipelineJob.start(StreamFaultsITCase.source(db, true).createSource(), 2)) {
            StreamFaultsITCase.awaitStreaming(job, db);
            assertThat(TestDatabase.await(NothingLeft.DEADLINE, () -> db.slots().size() == 1))
                    .as("slots 10 s after the stream started: %s", db.slots())
                    .isTrue();
            assertThat(db.slots()).containsExactly(db.slotName());
            NothingLeft.afterClosing(job, db);
        }
    }

    private static String slot(TestDatabase db, String column) {
        return db.query(
                        "SELECT "
                                + column
                                + " FROM pg_replication_slots WHERE slot_name = '"
                                + db.slotName()
                                + "'")
                .get(0)
                .get(0);
    }

    private static boolean lsnAtLeast(TestDatabase db, String column, String lsn) {
        return "t"
                .equals(
                        db.query(
                                        "SELECT "
                                                + column
                                                + " >= '"
                                                + lsn
                                                + "'::pg_lsn FROM pg_replication_slots"
                                                + " WHERE slot_name = '"
                                                + db.slotName()
                                                + "'")
                                .get(0)
                                .get(0));
    }

    private static boolean lsnAfter(TestDatabase db, String column, String lsn) {
        return "t"
                .equals(
                        db.query(
                                        "SELECT "
                                                + column
                                                + " > '"
                                                + lsn
                                                + "'::pg_lsn FROM pg_replication_slots"
                                                + " WHERE slot_name = '"
                                                + db.slotName()
                                                + "'")
                                .get(0)
                                .get(0));
    }
}
