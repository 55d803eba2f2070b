package io.pgcdc.connector.factory;

import org.apache.flink.table.api.ValidationException;

import io.pgcdc.connector.testbed.OtherConsumer;
import io.pgcdc.connector.testbed.PostgresExtension;
import io.pgcdc.connector.testbed.PostgresServer;
import io.pgcdc.connector.testbed.SourceConfigs;
import io.pgcdc.connector.testbed.TestDatabase;
import io.pgcdc.connector.testbed.TestDatabases;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.postgresql.replication.PGReplicationStream;

import java.sql.Connection;
import java.util.Collections;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Misconfigurations found when the job is created, before any slot exists: one line each, naming
 * the setting and the fix, and nothing left open on the server.
 */
@Tag("core")
@ExtendWith(PostgresExtension.class)
class StartupChecksITCase {

    @Test
    void walLevelReplicaIsReportedWithTheFix() throws Exception {
        Assumptions.assumeTrue(
                System.getenv("PG_TEST_URL") == null, "needs a second, embedded server");
        PostgresServer replicaLevel =
                PostgresServer.startSeparate(Collections.singletonMap("wal_level", "replica"));
        TestDatabase db = TestDatabases.create(replicaLevel);
        try {
            db.execute("CREATE TABLE t (id INT PRIMARY KEY)");
            assertThatThrownBy(() -> SourceConfigs.create(options(db, "t")))
                    .isInstanceOf(ValidationException.class)
                    .hasMessageStartingWith(
                            "PostgreSQL is not ready for change data capture (1 problem)")
                    .hasMessageContaining("wal_level is 'replica'")
                    .hasMessageContaining("ALTER SYSTEM SET wal_level = logical");
            assertNoSessionLeft(db);
            assertThat(db.slots()).isEmpty();
        } finally {
            TestDatabases.drop(db);
            replicaLevel.close();
        }
    }

    @Test
    void missingPrivilegesAreReportedTogether(TestDatabase db) throws Exception {
        String role = "cdc_" + db.name();
        db.execute(
                "CREATE TABLE t (id INT PRIMARY KEY)",
                "CREATE ROLE " + role + " LOGIN PASSWORD 'cdc-secret'");
        try {
            Map<String, String> options = options(db, "t");
            options.put("username", role);
            options.put("password", "cdc-secret");
            assertThatThrownBy(() -> SourceConfigs.create(options))
                    .isInstanceOf(ValidationException.class)
                    .hasMessageStartingWith(
                            "PostgreSQL is not ready for change data capture (2 problems)")
                    .hasMessageContaining(
                            "user '"
                                    + role
                                    + "' may not use replication: run ALTER ROLE \""
                                    + role
                                    + "\" WITH REPLICATION")
                    .hasMessageContaining(
                            "may not read \"public\".\"t\": run GRANT SELECT ON \"public\".\"t\" TO"
                                    + " \""
                                    + role
                                    + "\"")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("cdc-secret"));
            assertNoSessionLeft(db);

            db.execute("ALTER ROLE " + role + " WITH REPLICATION", "GRANT SELECT ON t TO " + role);
            assertThat(SourceConfigs.create(options)).as("accepted once fixed").isNotNull();
        } finally {
            db.execute("DROP OWNED BY " + role, "DROP ROLE " + role);
        }
    }

    @Test
    void tablesThatCannotBeSplitOrStreamedAreNamed(TestDatabase db) {
        db.execute(
                "CREATE TABLE nopk (a INT, b TEXT)",
                "CREATE TABLE nothing (id INT PRIMARY KEY)",
                "ALTER TABLE nothing REPLICA IDENTITY NOTHING",
                "CREATE TABLE fine (id INT PRIMARY KEY)");
        assertThatThrownBy(() -> SourceConfigs.create(options(db, "nopk,nothing,fine")))
                .isInstanceOf(ValidationException.class)
                .hasMessageStartingWith(
                        "PostgreSQL is not ready for change data capture (3 problems)")
                .hasMessageContaining("table \"public\".\"nopk\" has no primary key")
                .hasMessageContaining("'scan.incremental.snapshot.chunk.key-column'")
                .hasMessageContaining(
                        "table \"public\".\"nopk\" has REPLICA IDENTITY DEFAULT without a primary"
                                + " key")
                .hasMessageContaining("run ALTER TABLE \"public\".\"nopk\" REPLICA IDENTITY FULL")
                .hasMessageContaining("table \"public\".\"nothing\" has REPLICA IDENTITY NOTHING")
                .hasMessageContaining(
                        "run ALTER TABLE \"public\".\"nothing\" REPLICA IDENTITY FULL")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("public.fine"));

        db.execute(
                "ALTER TABLE nopk REPLICA IDENTITY FULL",
                "ALTER TABLE nothing REPLICA IDENTITY FULL");
        Map<String, String> fixed = options(db, "nopk,nothing,fine");
        fixed.put("scan.incremental.snapshot.chunk.key-column", "a");
        assertThat(SourceConfigs.create(fixed)).as("accepted once fixed").isNotNull();
    }

    @Test
    void checksCanBeTurnedOff(TestDatabase db) {
        db.execute(
                "CREATE TABLE nothing (id INT PRIMARY KEY)",
                "ALTER TABLE nothing REPLICA IDENTITY NOTHING");
        Map<String, String> options = options(db, "nothing");
        options.put("startup-checks.enabled", "false");
        assertThat(SourceConfigs.create(options)).isNotNull();
    }

    @Test
    void aSlotOfAnotherPluginIsReported(TestDatabase db) {
        db.execute(
                "CREATE TABLE t (id INT PRIMARY KEY)",
                "SELECT pg_create_logical_replication_slot('"
                        + db.slotName()
                        + "', 'test_decoding')");
        try {
            assertThatThrownBy(() -> SourceConfigs.create(options(db, "t")))
                    .isInstanceOf(ValidationException.class)
                    .hasMessageContaining(
                            "replication slot '"
                                    + db.slotName()
                                    + "' decodes with 'test_decoding',"
                                    + " but 'decoding.plugin.name' is 'pgoutput'")
                    .hasMessageContaining(
                            "SELECT pg_drop_replication_slot('" + db.slotName() + "')");
        } finally {
            db.execute("SELECT pg_drop_replication_slot('" + db.slotName() + "')");
        }
    }

    @Test
    void aSlotInUseByAnotherProcessIsReported(TestDatabase db) throws Exception {
        db.execute(
                "CREATE TABLE t (id INT PRIMARY KEY)",
                "CREATE PUBLICATION other_pub FOR ALL TABLES",
                "SELECT pg_create_logical_replication_slot('" + db.slotName() + "', 'pgoutput')");
        try (Connection other = OtherConsumer.replicationConnection(db, "other-consumer");
                PGReplicationStream stream =
                        OtherConsumer.startStreaming(other, db.slotName(), "other_pub")) {
            assertThat(
                            TestDatabase.await(
                                    java.time.Duration.ofSeconds(10),
                                    () -> db.globalSlotReader() != null))
                    .as("the other consumer holds the slot")
                    .isTrue();
            assertThatThrownBy(() -> SourceConfigs.create(options(db, "t")))
                    .isInstanceOf(ValidationException.class)
                    .hasMessageContaining(
                            "replication slot '" + db.slotName() + "' is in use by process")
                    .hasMessageContaining("('other-consumer')");
        } finally {
            TestDatabase.await(
                    java.time.Duration.ofSeconds(10), () -> db.slotHolder(db.slotName()) == null);
            db.execute("SELECT pg_drop_replication_slot('" + db.slotName() + "')");
        }
    }

    @Test
    void noFreeReplicationSlotIsReported(TestDatabase db) {
        db.execute("CREATE TABLE t (id INT PRIMARY KEY)");
        long max = db.queryLong("SELECT current_setting('max_replication_slots')::int");
        long taken = db.queryLong("SELECT count(*) FROM pg_replication_slots");
        String prefix = "filler_" + db.name();
        db.execute(
                "SELECT pg_create_physical_replication_slot('"
                        + prefix
                        + "_' || i) FROM generate_series(1, "
                        + (max - taken)
                        + ") i");
        try {
            assertThatThrownBy(() -> SourceConfigs.create(options(db, "t")))
                    .isInstanceOf(ValidationException.class)
                    .hasMessageContaining(
                            "all " + max + " replication slots (max_replication_slots) are taken");
        } finally {
            db.execute(
                    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE"
                            + " slot_name LIKE '"
                            + prefix
                            + "%'");
        }
    }

    /** The validation connection is closed; its backend ends moments later. */
    private static void assertNoSessionLeft(TestDatabase db) {
        TestDatabase.await(java.time.Duration.ofSeconds(5), () -> db.connectorSessions().isEmpty());
        assertThat(db.connectorSessions()).as("sessions left").isEmpty();
    }

    private static Map<String, String> options(TestDatabase db, String tables) {
        StringBuilder patterns = new StringBuilder();
        for (String table : tables.split(",")) {
            patterns.append(patterns.length() == 0 ? "" : ",")
                    .append(db.name())
                    .append(".public.")
                    .append(table);
        }
        return SourceConfigs.connection(db, patterns.toString());
    }
}
