package io.pgcdc.connector.source;

import io.pgcdc.connector.testbed.PipelineJob;
import io.pgcdc.connector.testbed.PostgresExtension;
import io.pgcdc.connector.testbed.SourceConfigs;
import io.pgcdc.connector.testbed.TestDatabase;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A quiet captured table on a busy database: the slot's confirmed LSN must follow the server's WAL
 * after checkpoints, or the server keeps all WAL the busy tables write. The heartbeat action query
 * (passed to Debezium as {@code debezium.heartbeat.action.query}) runs every {@code
 * heartbeat.interval} and its rows reach the stream. (On PostgreSQL 17 the slot also advanced
 * without heartbeats in this setup, through the server's keepalives; the action query is the
 * documented remedy where it does not.)
 */
@Tag("core")
@ExtendWith(PostgresExtension.class)
class HeartbeatITCase {

    @Test
    void heartbeatActionQueryAdvancesTheSlotOfAQuietTable(TestDatabase db) throws Exception {
        db.execute(
                "CREATE TABLE quiet (id INT PRIMARY KEY)",
                "CREATE TABLE heartbeat (id INT PRIMARY KEY, ts TIMESTAMPTZ)",
                "CREATE TABLE busy (id SERIAL PRIMARY KEY, payload TEXT)");
        Map<String, String> options =
                SourceConfigs.connection(
                        db, db.name() + ".public.quiet," + db.name() + ".public.heartbeat");
        options.put("publication.autocreate.mode", "filtered");
        options.put("heartbeat.interval", "500ms");
        options.put("scan.lsn-commit.checkpoints-num-delay", "1");
        options.put(
                "debezium.heartbeat.action.query",
                "INSERT INTO heartbeat VALUES (1, now()) ON CONFLICT (id) DO UPDATE SET ts ="
                        + " now()");
        try (PipelineJob job =
                PipelineJob.start(
                        ((PostgresDataSource) SourceConfigs.create(options)).createSource(), 1)) {
            assertThat(
                            TestDatabase.await(
                                    Duration.ofMinutes(1), () -> db.globalSlotReader() != null))
                    .isTrue();
            // WAL the stream never sees: the busy table is not in the publication
            db.execute(
                    "INSERT INTO busy (payload) SELECT repeat('x', 200) FROM generate_series(1,"
                            + " 20000)");
            String walAfterBusy = db.query("SELECT pg_current_wal_lsn()::text").get(0).get(0);
            boolean advanced =
                    TestDatabase.await(
                            Duration.ofMinutes(1),
                            () ->
                                    db.queryLong(
                                                    "SELECT count(*) FROM pg_replication_slots"
                                                            + " WHERE slot_name = '"
                                                            + db.slotName()
                                                            + "' AND confirmed_flush_lsn >= '"
                                                            + walAfterBusy
                                                            + "'::pg_lsn")
                                            == 1);
            assertThat(advanced)
                    .as("the slot's confirmed LSN passed the busy table's WAL (%s)", walAfterBusy)
                    .isTrue();
            assertThat(job.log().dataLines())
                    .as("no row of the quiet table was invented")
                    .noneMatch(line -> line.contains("public.quiet"));
            // the first heartbeat row comes from the priming run as the stream starts, the
            // updates after it from Debezium's periodic heartbeat
            job.await(
                    "heartbeat rows, inserted then updated",
                    Duration.ofMinutes(1),
                    log ->
                            log.dataLines().stream()
                                            .filter(
                                                    line ->
                                                            line.startsWith(
                                                                    "+U public.heartbeat[1, "))
                                            .count()
                                    >= 2);
        }
    }
}
