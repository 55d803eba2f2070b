package io.pgcdc.connector.testbed;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * started on first use, stopped at JVM exit), or an external one when {@code PG_TEST_URL} names it
 * ({@code jdbc:postgresql://host:port/db}, with {@code PG_TEST_USER} and {@code PG_TEST_PASSWORD}).
 * Either way it must run with {@code wal_level=logical}.
 */
public final class PostgresServer {

    private static final Logger LOG = LoggerFactory.getLogger(PostgresServer.class);

    private static PostgresServer instance;

    private final String host;
    private final int port;
    private final String adminDatabase;
    private final String user;
    private final String password;
    private EmbeddedPostgres embedded;

    /** Settings and data directory of a server that can be restarted; null otherwise. */
    private final java.util.Map<String, String> restartOverrides;

    private final java.nio.file.Path restartDirectory;

    private PostgresServer(
            String host,
            int port,
            String adminDatabase,
            String user,
            String password,
            EmbeddedPostgres embedded,
            java.util.Map<String, String> restartOverrides,
            java.nio.file.Path restartDirectory) {
        this.restartOverrides = restartOverrides;
        this.restartDirectory = restartDirectory;
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
            LOG.info("Test PostgreSQL: " + instance.serverVersion());
        }
        return instance;
    }

    private static PostgresServer start() {
        String url = System.getenv("PG_TEST_URL");
        if (url != null && !url.isEmpty()) {
            String rest = url.substring("jdbc:postgresql://".length());
            String hostPort = rest.substring(0, rest.indexOf('/'));
            String database = rest.substring(rest.indexOf('/') + 1);
            String host =
                    hostPort.contains(":")
                            ? hostPort.substring(0, hostPort.indexOf(':'))
                            : hostPort;
            int port =
                    hostPort.contains(":")
                            ? Integer.parseInt(hostPort.substring(hostPort.indexOf(':') + 1))
                            : 5432;
            return new PostgresServer(
                    host,
                    port,
                    database,
                    envOr("PG_TEST_USER", "postgres"),
                    envOr("PG_TEST_PASSWORD", "postgres"),
                    null,
                    null,
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

    /**
     * A second embedded server whose data lives in the given directory, so that {@link #stop} and
     * {@link #startAgain} (same port, same data) restart it as an operator would.
     */
    public static PostgresServer startRestartable(java.nio.file.Path dataDirectory) {
        java.util.Map<String, String> overrides = java.util.Collections.emptyMap();
        try {
            EmbeddedPostgres pg =
                    builder(overrides)
                            .setDataDirectory(dataDirectory)
                            .setCleanDataDirectory(false)
                            .start();
            return new PostgresServer(
                    "localhost",
                    pg.getPort(),
                    "postgres",
                    "postgres",
                    "postgres",
                    pg,
                    overrides,
                    dataDirectory);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start the embedded PostgreSQL", e);
        }
    }

    /**
     * Shuts a restartable server down as {@code pg_ctl stop -m fast} does (SIGINT to the
     * postmaster: sessions end, a shutdown checkpoint is written, data is kept) and waits up to
     * {@code timeout} for it; returns how long the shutdown took. A logical walsender holds the
     * shutdown until its client confirms the WAL it was sent, which zonky's 5 s stop does not
     * allow.
     */
    public synchronized Duration stop(Duration timeout) throws IOException, InterruptedException {
        requireRestartable();
        long start = System.nanoTime();
        java.nio.file.Path pidFile = restartDirectory.resolve("postmaster.pid");
        String pid = java.nio.file.Files.readAllLines(pidFile).get(0).trim();
        // the shell's kill builtin: present wherever sh is, unlike a kill binary
        Process kill =
                new ProcessBuilder("sh", "-c", "kill -INT " + Integer.parseInt(pid))
                        .inheritIO()
                        .start();
        if (kill.waitFor() != 0) {
            throw new IOException("Could not signal the postmaster " + pid);
        }
        if (!TestDatabase.await(timeout, () -> !java.nio.file.Files.exists(pidFile))) {
            throw new IOException(
                    "The server did not shut down within "
                            + timeout
                            + " (walsenders: a client that"
                            + " never confirms the WAL it was sent holds a fast shutdown)");
        }
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        // releases zonky's lock on the data directory; its own pg_ctl stop finds no server and says
        // so
        embedded.close();
        embedded = null;
        return took;
    }

    /** Starts a stopped restartable server again, on its port, with its data. */
    public synchronized void startAgain() throws IOException {
        requireRestartable();
        if (embedded == null) {
            embedded =
                    builder(restartOverrides)
                            .setDataDirectory(restartDirectory)
                            .setCleanDataDirectory(false)
                            .setPort(port)
                            .start();
        }
    }

    private void requireRestartable() {
        if (restartDirectory == null) {
            throw new IllegalStateException(
                    "Only a server from startRestartable can be stopped and started");
        }
    }

    /** Stops a server from {@link #startSeparate}; the shared one lives as long as the JVM. */
    public synchronized void close() throws IOException {
        if (embedded != null && this != instance) {
            embedded.close();
            embedded = null;
        }
    }

    private static EmbeddedPostgres.Builder builder(java.util.Map<String, String> overrides) {
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
                        // each session's application_name as it logged in (ConnectionOptionsITCase)
                        .setServerConfig("log_connections", "on")
                        .setPGStartupWait(Duration.ofSeconds(120));
        overrides.forEach(builder::setServerConfig);
        if (OTHER_VERSION != null) {
            builder.setPgBinaryResolver(OTHER_VERSION);
        }
        return builder;
    }

    /** One resolver for the JVM: zonky unpacks the binaries once per resolver. */
    private static final io.zonky.test.db.postgres.embedded.PgBinaryResolver OTHER_VERSION =
            System.getProperty("pg.binaries.jar", "").isEmpty()
                    ? null
                    : (system, hardware) ->
                            binariesFrom(System.getProperty("pg.binaries.jar"), system, hardware);

    /**
     * The server binaries of another PostgreSQL version, from a zonky binaries jar the pg-matrix
     * profile fetched ({@code -Dpg.binaries.jar=...}); the default is the one on the classpath.
     */
    private static java.io.InputStream binariesFrom(String jar, String system, String hardware)
            throws IOException {
        String entry =
                "postgres-" + system.toLowerCase(java.util.Locale.ROOT) + "-" + hardware + ".txz";
        java.util.zip.ZipFile zip = new java.util.zip.ZipFile(jar);
        java.util.zip.ZipEntry found = zip.getEntry(entry);
        if (found == null) {
            zip.close();
            throw new IOException(jar + " holds no " + entry);
        }
        byte[] bytes;
        try (java.io.InputStream in = zip.getInputStream(found)) {
            bytes = in.readAllBytes();
        } finally {
            zip.close();
        }
        return new java.io.ByteArrayInputStream(bytes);
    }

    private static PostgresServer embedded(java.util.Map<String, String> overrides) {
        try {
            EmbeddedPostgres pg = builder(overrides).start();
            return new PostgresServer(
                    "localhost", pg.getPort(), "postgres", "postgres", "postgres", pg, null, null);
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
                        "The test PostgreSQL at "
                                + host
                                + ":"
                                + port
                                + " runs with wal_level="
                                + rs.getString(1)
                                + "; logical replication tests need wal_level=logical");
            }
        } catch (SQLException e) {
            throw new IllegalStateException(
                    "Cannot reach the test PostgreSQL: " + e.getMessage(), e);
        }
    }

    /** {@code server_version}, e.g. {@code 17.11}. */
    public String serverVersion() {
        try (Connection c = connect(adminDatabase);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SHOW server_version")) {
            rs.next();
            return rs.getString(1);
        } catch (SQLException e) {
            return "unknown (" + e.getMessage() + ")";
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
        props.setProperty("assumeMinServerVersion", "9.0"); // the label goes with the login
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
