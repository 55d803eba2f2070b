package io.pgcdc.connector.testbed;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * The PostgreSQL server of this test JVM: an embedded zonky server by default (one per fork,
 * started on first use, stopped at JVM exit), or an external one when {@code PG_TEST_URL} names
 * it ({@code jdbc:postgresql://host:port/db}, with {@code PG_TEST_USER} and
 * {@code PG_TEST_PASSWORD}). Either way it must run with {@code wal_level=logical}.
 */
public final class PostgresServer {

    private static PostgresServer instance;

    private final String host;
    private final int port;
    private final String adminDatabase;
    private final String user;
    private final String password;
    private final EmbeddedPostgres embedded;

    private PostgresServer(
            String host, int port, String adminDatabase, String user, String password, EmbeddedPostgres embedded) {
        this.host = host;
        this.port = port;
        this.adminDatabase = adminDatabase;
        this.user = user;
        this.password = password;
        this.embedded = embedded;
    }

    public static synchronized PostgresServer get() {
        if (instance == null) {
            instance = start();
            instance.checkLogicalReplication();
        }
        return instance;
    }

    private static PostgresServer start() {
        String url = System.getenv("PG_TEST_URL");
        if (url != null && !url.isEmpty()) {
            String rest = url.substring("jdbc:postgresql://".length());
            String hostPort = rest.substring(0, rest.indexOf('/'));
            String database = rest.substring(rest.indexOf('/') + 1);
            String host = hostPort.contains(":") ? hostPort.substring(0, hostPort.indexOf(':')) : hostPort;
            int port = hostPort.contains(":") ? Integer.parseInt(hostPort.substring(hostPort.indexOf(':') + 1)) : 5432;
            return new PostgresServer(
                    host,
                    port,
                    database,
                    envOr("PG_TEST_USER", "postgres"),
                    envOr("PG_TEST_PASSWORD", "postgres"),
                    null);
        }
        return embedded(java.util.Collections.emptyMap());
    }

    /**
     * A second embedded server with some settings changed (e.g. {@code wal_level=replica}), for a
     * test of a misconfigured server; the test closes it. Not available against PG_TEST_URL.
     */
    public static PostgresServer startSeparate(java.util.Map<String, String> overrides) {
        return embedded(overrides);
    }

    /** Stops a server from {@link #startSeparate}; the shared one lives as long as the JVM. */
    public void close() throws IOException {
        if (embedded != null && this != instance) {
            embedded.close();
        }
    }

    private static PostgresServer embedded(java.util.Map<String, String> overrides) {
        try {
            EmbeddedPostgres.Builder builder =
                    EmbeddedPostgres.builder()
                            .setServerConfig("wal_level", "logical")
                            .setServerConfig("max_replication_slots", "40")
                            .setServerConfig("max_wal_senders", "40")
                            .setServerConfig("max_connections", "300")
                            .setServerConfig("fsync", "off")
                            .setServerConfig("synchronous_commit", "off")
                            .setServerConfig("full_page_writes", "off")
                            .setServerConfig("wal_sender_timeout", "0")
                            // a server log the tests can read back with pg_read_file
                            .setServerConfig("logging_collector", "on")
                            .setServerConfig("log_filename", "postgresql.log")
                            .setPGStartupWait(Duration.ofSeconds(120));
            overrides.forEach(builder::setServerConfig);
            EmbeddedPostgres pg = builder.start();
            return new PostgresServer("localhost", pg.getPort(), "postgres", "postgres", "postgres", pg);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start the embedded PostgreSQL", e);
        }
    }

    private static String envOr(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isEmpty() ? fallback : value;
    }

    private void checkLogicalReplication() {
        try (Connection c = connect(adminDatabase);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SHOW wal_level")) {
            rs.next();
            if (!"logical".equals(rs.getString(1))) {
                throw new IllegalStateException(
                        "The test PostgreSQL at " + host + ":" + port + " runs with wal_level="
                                + rs.getString(1) + "; logical replication tests need wal_level=logical");
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot reach the test PostgreSQL: " + e.getMessage(), e);
        }
    }

    /**
     * The lines of the server log that contain the text, read with {@code pg_read_file}; empty when
     * the server does not collect its log (an external server without {@code logging_collector}).
     */
    public List<String> serverLogLines(String text) {
        List<String> lines = new ArrayList<>();
        try (Connection c = connect(adminDatabase);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT pg_read_file(pg_current_logfile())")) {
            if (rs.next() && rs.getString(1) != null) {
                for (String line : rs.getString(1).split("\n")) {
                    if (line.contains(text)) {
                        lines.add(line);
                    }
                }
            }
        } catch (SQLException e) {
            // no log collector or no privilege: nothing to read
        }
        return lines;
    }

    /** A connection of the test itself, labelled {@code test-harness} so oracles can skip it. */
    public Connection connect(String database) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", user);
        props.setProperty("password", password);
        props.setProperty("ApplicationName", "test-harness");
        return DriverManager.getConnection(jdbcUrl(database), props);
    }

    public String jdbcUrl(String database) {
        return "jdbc:postgresql://" + host + ":" + port + "/" + database;
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    public String user() {
        return user;
    }

    public String password() {
        return password;
    }

    public String adminDatabase() {
        return adminDatabase;
    }

}
