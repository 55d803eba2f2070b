package io.pgcdc.connector.config;

import org.apache.flink.annotation.Internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;
import java.time.Duration;

/**
 * Connecting with {@code connect.max-retries}: a failure that may pass (the server cannot be
 * reached, is starting up or shutting down, has no free connection slot, or did not answer within
 * {@code connect.timeout}) is retried after a pause that doubles from 0.5 s up to 8 s; any other
 * failure (a wrong password, a missing database) fails at once. The last failure is thrown with the
 * number of attempts made.
 *
 * <p>Stateless; the pauses block the calling thread, and an interrupt ends them with the failure.
 */
@Internal
public final class ConnectAttempts {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectAttempts.class);

    private static final long FIRST_PAUSE_MS = 500;
    private static final long MAX_PAUSE_MS = 8_000;

    /** Opens something over the network. */
    @FunctionalInterface
    public interface Connect<T> {
        T open() throws SQLException;
    }

    private ConnectAttempts() {}

    /**
     * Opens with at most {@code 1 + retries} attempts.
     *
     * @param what what is opened, for the log
     */
    public static <T> T open(int retries, String what, Connect<T> connect) throws SQLException {
        long pause = FIRST_PAUSE_MS;
        for (int attempt = 1; ; attempt++) {
            try {
                return connect.open();
            } catch (SQLException e) {
                if (!isTransient(e) || attempt > retries) {
                    throw attempt == 1
                            ? e
                            : new SQLException(
                                    e.getMessage()
                                            + " ("
                                            + attempt
                                            + " attempts, 'connect.max-retries' is "
                                            + retries
                                            + ")",
                                    e.getSQLState(),
                                    e);
                }
                LOG.warn(
                        "Connecting {} failed (attempt {} of {}), trying again in {} ms: {}",
                        what,
                        attempt,
                        retries + 1,
                        pause,
                        e.getMessage());
                try {
                    Thread.sleep(pause);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
                pause = Math.min(MAX_PAUSE_MS, pause * 2);
            }
        }
    }

    /**
     * Whether a connection failure may pass: connection exceptions (SQLSTATE class 08, timeouts
     * included), a server starting up or shutting down (57P03, 57P01), no free connection slot
     * (53300).
     */
    public static boolean isTransient(SQLException e) {
        String state = e.getSQLState();
        return state != null
                && (state.startsWith(SqlStates.CONNECTION_EXCEPTION_CLASS)
                        || state.equals(SqlStates.CANNOT_CONNECT_NOW)
                        || state.equals(SqlStates.ADMIN_SHUTDOWN)
                        || state.equals(SqlStates.TOO_MANY_CONNECTIONS));
    }

    /** Whether the failure is pgjdbc's: the server did not complete the login in time. */
    public static boolean isTimeout(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String message = t.getMessage();
            if (message != null && message.contains("timed out")) {
                return true;
            }
        }
        return false;
    }

    /** The hint for a login that did not complete within the timeout. */
    public static String timeoutHint(Duration timeout) {
        return "the server did not complete the login within 'connect.timeout' ("
                + timeout.getSeconds()
                + " s); check 'hostname' and 'port' (is a PostgreSQL server listening there?) and"
                + " the server's load, or raise 'connect.timeout'";
    }
}
