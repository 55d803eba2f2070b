package io.pgcdc.connector.fetch;

import org.apache.flink.annotation.Internal;
import org.apache.flink.annotation.VisibleForTesting;
import org.apache.flink.cdc.connectors.postgres.source.config.PostgresSourceConfig;

import io.debezium.connector.postgresql.PostgresConnectorConfig;
import io.debezium.jdbc.JdbcConfiguration;
import io.pgcdc.connector.config.ConnectAttempts;
import io.pgcdc.connector.config.ConnectionSettings;
import io.pgcdc.connector.resource.ConnectionLedger;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.annotation.concurrent.ThreadSafe;

import java.sql.Connection;
import java.sql.SQLException;

import static io.debezium.connector.postgresql.PostgresObjectUtils.newPostgresValueConverterBuilder;

/**
 * A Debezium {@code PostgresConnection} (taking names literally) labelled {@code pgcdc-<role>} in
 * pg_stat_activity and counted in its owner's {@link ConnectionLedger} from connect to close. Its
 * close is idempotent.
 *
 * <p>Threading: opening, relabelling and closing synchronize on the connection, so {@link #close()}
 * may come from any thread (a cancellation) while its user works on another.
 */
@ThreadSafe
@Internal
public final class TrackedPostgresConnection extends LiteralNamePostgresConnection {

    private static final Logger LOG = LoggerFactory.getLogger(TrackedPostgresConnection.class);

    private final ConnectionLedger ledger;
    private final String initialRole;
    private String role;
    private boolean counted;
    private boolean closed;

    /** The session's pgjdbc connection, read without this object's lock by a cancelling thread. */
    private volatile Connection physical;

    private TrackedPostgresConnection(
            PostgresConnectorConfig config, String role, ConnectionLedger ledger) {
        // connects and loads the pg_type registry (once per connection, not per split)
        super(
                config.getJdbcConfig(),
                newPostgresValueConverterBuilder(config),
                ConnectionSettings.applicationName(role));
        this.role = role;
        this.initialRole = role;
        this.ledger = ledger;
    }

    /**
     * Over sessions the factory opens, without Debezium's type registry: for tests whose session is
     * a stub, not pgjdbc's. Connect it with {@link #connectCounted}.
     */
    @VisibleForTesting
    TrackedPostgresConnection(
            JdbcConfiguration jdbc,
            String role,
            ConnectionLedger ledger,
            ConnectionFactory factory) {
        super(jdbc, null, ConnectionSettings.applicationName(role), factory);
        this.role = role;
        this.initialRole = role;
        this.ledger = ledger;
    }

    /**
     * Opens a connection now, with {@code connect.max-retries} (see {@link ConnectAttempts}); a
     * failure leaves nothing open and names the options to check.
     */
    public static TrackedPostgresConnection open(
            PostgresSourceConfig config, String role, ConnectionLedger ledger) {
        String label = ConnectionSettings.applicationName(role);
        try {
            return ConnectAttempts.open(
                    config.getConnectMaxRetries(),
                    label,
                    () -> {
                        TrackedPostgresConnection connection;
                        try {
                            // connects: Debezium loads the type registry in the constructor
                            connection =
                                    new TrackedPostgresConnection(
                                            config.getDbzConnectorConfig(), role, ledger);
                        } catch (RuntimeException e) {
                            throw asConnectFailure(e);
                        }
                        return connectCounted(connection);
                    });
        } catch (SQLException e) {
            String hint =
                    ConnectAttempts.isTimeout(e)
                            ? ConnectAttempts.timeoutHint(config.getConnectTimeout())
                            : "check 'hostname', 'port', 'username', 'password' and the database in"
                                    + " 'tables'";
            throw new IllegalStateException(
                    "Cannot open a connection to PostgreSQL ("
                            + label
                            + "): "
                            + e.getMessage()
                            + " ("
                            + hint
                            + ")",
                    e);
        }
    }

    /**
     * Connects the session, counted in the ledger from then on; a failure closes the connection and
     * is thrown.
     */
    @VisibleForTesting
    static TrackedPostgresConnection connectCounted(TrackedPostgresConnection connection)
            throws SQLException {
        try {
            connection.connect();
        } catch (SQLException | RuntimeException e) {
            connection.close();
            throw e;
        }
        connection.markCounted();
        return connection;
    }

    /** Debezium wraps a failed connect in a runtime exception; the SQL failure is what counts. */
    private static SQLException asConnectFailure(RuntimeException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException) {
                return new SQLException(t.getMessage(), ((SQLException) t).getSQLState(), e);
            }
        }
        throw e;
    }

    private synchronized void markCounted() {
        counted = true;
        ledger.recordOpened(role);
    }

    public synchronized String role() {
        return role;
    }

    /** Relabels the session (e.g. from snapshot to stream) so pg_stat_activity stays truthful. */
    public synchronized void relabel(String newRole) throws SQLException {
        if (!newRole.equals(role)) {
            // roles are our own constants plus a subtask index: no quoting needed
            execute("SET application_name = '" + ConnectionSettings.applicationName(newRole) + "'");
            role = newRole;
        }
    }

    /**
     * Debezium calls {@code connection()} freely, and it silently reconnects a closed connection;
     * after its owner closed it that would be a connection nobody owns, so it fails instead. A
     * reconnect before that (the server dropped the session) is counted.
     */
    @Override
    public synchronized Connection connection(boolean executeOnConnect) throws SQLException {
        if (closed) {
            throw new SQLException(
                    ConnectionSettings.applicationName(role) + " was closed by its owner");
        }
        boolean reconnecting = counted && !isConnected();
        Connection connection = super.connection(executeOnConnect);
        physical = connection;
        if (reconnecting) {
            ledger.recordClosed();
            ledger.recordOpened(role);
            if (!role.equals(initialRole)) {
                // a new session starts with the constructor's label
                execute(
                        "SET application_name = '"
                                + ConnectionSettings.applicationName(role)
                                + "'");
            }
        }
        return connection;
    }

    /**
     * Asks the server to cancel the statement this session runs now, if any: another thread's (a
     * chunk query, a slot creation waiting for running transactions) that would otherwise go on on
     * the server after its owner has closed the connection, since a backend notices a closed client
     * only when it next reads or writes. Safe to call from any thread, also while that statement
     * runs; an idle session ignores it.
     */
    public void cancelRunningStatement() {
        Connection physical = this.physical;
        if (physical == null) {
            return;
        }
        try {
            if (!physical.isClosed()) {
                physical.unwrap(PGConnection.class).cancelQuery();
            }
        } catch (SQLException e) {
            LOG.debug("Cancelling the statement of {} failed: {}", role, e.getMessage());
        }
    }

    /** Cancels a statement still running on the session (see above), then closes it; idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            cancelRunningStatement();
            super.close();
        } finally {
            if (counted) {
                ledger.recordClosed();
            }
        }
    }
}
