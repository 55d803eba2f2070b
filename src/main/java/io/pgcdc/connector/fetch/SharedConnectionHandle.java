package io.pgcdc.connector.fetch;

import org.apache.flink.annotation.Internal;
import org.apache.flink.annotation.VisibleForTesting;

import io.debezium.connector.postgresql.PostgresConnectorConfig;
import io.debezium.connector.postgresql.connection.PostgresConnection;
import io.debezium.jdbc.JdbcConfiguration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.annotation.concurrent.ThreadSafe;

import java.sql.Connection;
import java.sql.SQLException;

import static io.debezium.connector.postgresql.PostgresObjectUtils.newPostgresValueConverterBuilder;

/**
 * A {@link PostgresConnection} over a physical connection owned by someone else (the enumerator's
 * one connection). postgres-cdc opens and closes a connection for every small enumerator task
 * (discovery, the slot check, the chunk splitter); each gets one of these handles, and closing a
 * handle only ends its transaction — the physical connection stays with its owner.
 *
 * <p>Threading: {@link #connection} and {@link #close()} synchronize on the handle; pgjdbc
 * serializes the statements sent on the physical connection, and the enumerator decides which of
 * its threads uses it when.
 */
@ThreadSafe
@Internal
public final class SharedConnectionHandle extends LiteralNamePostgresConnection {

    private static final Logger LOG = LoggerFactory.getLogger(SharedConnectionHandle.class);

    private final Connection physical;

    public SharedConnectionHandle(
            PostgresConnectorConfig config, Connection physical, String applicationName) {
        super(
                config.getJdbcConfig(),
                newPostgresValueConverterBuilder(config),
                applicationName,
                jdbcConfig -> physical);
        this.physical = physical;
    }

    /**
     * Without Debezium's type registry, which needs a pgjdbc session: for tests whose physical
     * connection is a stub.
     */
    @VisibleForTesting
    SharedConnectionHandle(JdbcConfiguration config, Connection physical, String applicationName) {
        super(config, null, applicationName, jdbcConfig -> physical);
        this.physical = physical;
    }

    /**
     * Usable as long as its owner keeps the physical connection open, even after {@link #close()}:
     * Debezium's decoder goes on using its connection after a replication reconnect closed it.
     */
    @Override
    public synchronized Connection connection(boolean executeOnConnect) throws SQLException {
        if (physical != null && physical.isClosed()) { // null while the superclass constructs
            throw new SQLException("The shared connection was closed by its owner");
        }
        return super.connection(executeOnConnect);
    }

    /** Leaves the physical connection open, in autocommit, with no transaction. */
    @Override
    public synchronized void close() {
        try {
            if (!physical.isClosed() && !physical.getAutoCommit()) {
                physical.rollback();
                physical.setAutoCommit(true);
            }
        } catch (SQLException e) {
            LOG.warn("Could not end a transaction on the shared connection: {}", e.getMessage());
        }
    }
}
