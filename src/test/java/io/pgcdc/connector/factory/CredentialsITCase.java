package io.pgcdc.connector.factory;

import org.apache.flink.table.api.ValidationException;

import io.pgcdc.connector.testbed.SourceConfigs;
import io.pgcdc.connector.testbed.TestDatabase;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Upstream 3.5 keyed its JVM-wide pools by host, port and database only: after one good
 * configuration a wrong password for the same database was accepted (it borrowed the good pool),
 * and after a wrong one a good one failed. Every configuration here logs in with its own
 * credentials; both orders in one JVM, against a server that checks passwords (scram).
 */
@Tag("core")
class CredentialsITCase {

    private static final String RIGHT = "right-Passw0rd";
    private static final String WRONG = "wrong-Passw0rd";

    @Test
    void eachConfigurationLogsInWithItsOwnPassword() throws Exception {
        Assumptions.assumeTrue(
                System.getenv("PG_TEST_URL") == null, "needs its own embedded server");
        EmbeddedPostgres pg =
                EmbeddedPostgres.builder()
                        .setServerConfig("wal_level", "logical")
                        .setServerConfig("max_replication_slots", "4")
                        .setServerConfig("max_wal_senders", "4")
                        .setPGStartupWait(Duration.ofSeconds(120))
                        // the superuser keeps trust (for the test's own setup); everyone else needs
                        // a password
                        .setDataDirectoryCustomizer(
                                dir -> {
                                    try {
                                        Files.write(
                                                dir.toPath().resolve("pg_hba.conf"),
                                                ("local all all trust\n"
                                                     + "host all postgres 127.0.0.1/32 trust\n"
                                                     + "host all postgres ::1/128 trust\n"
                                                     + "host all all 127.0.0.1/32 scram-sha-256\n"
                                                     + "host all all ::1/128 scram-sha-256\n")
                                                        .getBytes(StandardCharsets.UTF_8));
                                    } catch (IOException e) {
                                        throw new UncheckedIOException(e);
                                    }
                                })
                        .start();
        try {
            String admin = "jdbc:postgresql://localhost:" + pg.getPort() + "/postgres";
            try (Connection c = DriverManager.getConnection(admin, "postgres", "");
                    Statement s = c.createStatement()) {
                s.execute("CREATE ROLE cdc LOGIN REPLICATION PASSWORD '" + RIGHT + "'");
                s.execute("CREATE DATABASE app OWNER cdc");
            }
            try (Connection c =
                            DriverManager.getConnection(
                                    "jdbc:postgresql://localhost:" + pg.getPort() + "/app",
                                    "cdc",
                                    RIGHT);
                    Statement s = c.createStatement()) {
                s.execute("CREATE TABLE t (id INT PRIMARY KEY)");
            }

            // a good configuration, then a wrong password for the same database
            assertThat(SourceConfigs.create(options(pg, RIGHT))).isNotNull();
            assertWrongPasswordRefused(pg);
            // and the other order, in the same JVM
            assertWrongPasswordRefused(pg);
            assertThat(SourceConfigs.create(options(pg, RIGHT))).isNotNull();

            assertThat(TestDatabase.await(Duration.ofSeconds(5), () -> sessionsOfCdc(admin) == 0))
                    .as("sessions of the user left open")
                    .isTrue();
        } finally {
            pg.close();
        }
    }

    private static void assertWrongPasswordRefused(EmbeddedPostgres pg) {
        assertThatThrownBy(() -> SourceConfigs.create(options(pg, WRONG)))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("'password'")
                .satisfies(
                        e ->
                                assertThat(e.getMessage())
                                        .doesNotContain(WRONG)
                                        .doesNotContain(RIGHT));
    }

    private static Map<String, String> options(EmbeddedPostgres pg, String password) {
        Map<String, String> options = new HashMap<>();
        options.put("hostname", "localhost");
        options.put("port", String.valueOf(pg.getPort()));
        options.put("username", "cdc");
        options.put("password", password);
        options.put("tables", "app.public.t");
        options.put("slot.name", "cdc_slot");
        options.put("decoding.plugin.name", "pgoutput");
        return options;
    }

    private static long sessionsOfCdc(String adminUrl) {
        try (Connection c = DriverManager.getConnection(adminUrl, "postgres", "");
                Statement s = c.createStatement();
                ResultSet rs =
                        s.executeQuery(
                                "SELECT count(*) FROM pg_stat_activity WHERE usename = 'cdc'")) {
            rs.next();
            return rs.getLong(1);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
