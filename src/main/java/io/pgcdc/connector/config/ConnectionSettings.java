package io.pgcdc.connector.config;

import org.apache.flink.annotation.Internal;

import java.io.Serializable;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Everything that identifies a login to one PostgreSQL database. The password never appears in
 * {@link #toString()} nor in the messages of exceptions raised here.
 */
@Internal
public final class ConnectionSettings implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Prefix of every {@code application_name} we set, so pg_stat_activity shows our sessions. */
    public static final String APPLICATION_NAME_PREFIX = "pgcdc";

    private final String hostname;
    private final int port;
    private final String database;
    private final String username;
    private final String password;
    private final Duration connectTimeout;
    private final int connectMaxRetries;
    private final Map<String, String> jdbcProperties;

    public ConnectionSettings(
            String hostname,
            int port,
            String database,
            String username,
            String password,
            Duration connectTimeout,
            int connectMaxRetries,
            Map<String, String> jdbcProperties) {
        this.hostname = Objects.requireNonNull(hostname, "hostname");
        this.port = port;
        this.database = Objects.requireNonNull(database, "database");
        this.username = Objects.requireNonNull(username, "username");
        this.password = password == null ? "" : password;
        this.connectTimeout = Objects.requireNonNull(connectTimeout, "connectTimeout");
        this.connectMaxRetries = connectMaxRetries;
        this.jdbcProperties = Collections.unmodifiableMap(new TreeMap<>(jdbcProperties));
    }

    public String hostname() {
        return hostname;
    }

    public int port() {
        return port;
    }

    public String database() {
        return database;
    }

    public String username() {
        return username;
    }

    public String password() {
        return password;
    }

    public Duration connectTimeout() {
        return connectTimeout;
    }

    /**
     * Attempts after the first to open a connection whose failure may pass ({@link
     * ConnectAttempts}).
     */
    public int connectMaxRetries() {
        return connectMaxRetries;
    }

    /** The {@code jdbc.properties.*} options, prefix removed. */
    public Map<String, String> jdbcProperties() {
        return jdbcProperties;
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://" + hostname + ":" + port + "/" + database;
    }

    /**
     * Driver properties for a connection labelled {@code pgcdc-<role>} from its first instant, that
     * gives up connecting and logging in after {@code connect.timeout}.
     */
    public Properties driverProperties(String role) {
        Properties props = new Properties();
        props.putAll(jdbcProperties);
        props.setProperty("user", username);
        props.setProperty("password", password);
        props.setProperty("ApplicationName", applicationName(role));
        timeoutProperties().forEach(props::putIfAbsent);
        return props;
    }

    /**
     * pgjdbc's properties for {@code connect.timeout}, and for sending {@code application_name}
     * with the login rather than in a statement after it (pgjdbc does so only for a server it may
     * assume to be 9.0 or later; every supported one is). The user's {@code jdbc.properties.*} take
     * precedence.
     */
    public Map<String, String> timeoutProperties() {
        Map<String, String> props = new TreeMap<>();
        String seconds = String.valueOf(Math.max(1, connectTimeout.getSeconds()));
        props.put("connectTimeout", seconds);
        props.put("loginTimeout", seconds);
        props.put("assumeMinServerVersion", "9.0");
        jdbcProperties.keySet().forEach(props::remove);
        return props;
    }

    public static String applicationName(String role) {
        return APPLICATION_NAME_PREFIX + "-" + role;
    }

    /**
     * Opens a plain JDBC connection labelled with the role. The caller owns it. Failures are
     * rethrown with a message that names the options to check and never the password.
     */
    public Connection open(String role) throws SQLException {
        try {
            // our own pgjdbc, never another one a shared lib/ registered with DriverManager first
            return ConnectAttempts.open(
                    connectMaxRetries,
                    applicationName(role),
                    () -> new org.postgresql.Driver().connect(jdbcUrl(), driverProperties(role)));
        } catch (SQLException e) {
            throw new SQLException(describeConnectFailure(e), e.getSQLState(), e);
        }
    }

    /** A message for a failed connection attempt that tells the user which option to fix. */
    public String describeConnectFailure(SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        String hint;
        switch (state) {
            case SqlStates.INVALID_PASSWORD:
            case SqlStates.INVALID_AUTHORIZATION:
                hint = "check the options 'username' and 'password'";
                break;
            case SqlStates.INVALID_CATALOG_NAME:
                hint =
                        "database '"
                                + database
                                + "' does not exist; check the database part of 'tables'";
                break;
            case SqlStates.UNABLE_TO_CONNECT:
            case SqlStates.CONNECTION_REJECTED:
                hint =
                        ConnectAttempts.isTimeout(e)
                                ? ConnectAttempts.timeoutHint(connectTimeout)
                                : "check the options 'hostname' and 'port' and that the server"
                                        + " accepts TCP connections";
                break;
            default:
                hint =
                        "check 'hostname', 'port', 'username', 'password' and the database in"
                                + " 'tables'";
        }
        return "Cannot connect to PostgreSQL at "
                + this
                + ": "
                + redact(e.getMessage())
                + " ("
                + hint
                + ")";
    }

    /** Removes the password from a text that might echo it. */
    public String redact(String text) {
        if (text == null) {
            return "";
        }
        return password.isEmpty() ? text : text.replace(password, "******");
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof ConnectionSettings)) {
            return false;
        }
        ConnectionSettings that = (ConnectionSettings) o;
        return port == that.port
                && hostname.equals(that.hostname)
                && database.equals(that.database)
                && username.equals(that.username)
                && password.equals(that.password)
                && connectTimeout.equals(that.connectTimeout)
                && connectMaxRetries == that.connectMaxRetries
                && jdbcProperties.equals(that.jdbcProperties);
    }

    @Override
    public int hashCode() {
        return Objects.hash(hostname, port, database, username, password, jdbcProperties);
    }

    @Override
    public String toString() {
        return username + "@" + hostname + ":" + port + "/" + database;
    }
}
