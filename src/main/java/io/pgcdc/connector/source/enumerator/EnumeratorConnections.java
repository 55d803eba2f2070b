package io.pgcdc.connector.source.enumerator;

import org.apache.flink.cdc.connectors.postgres.source.config.PostgresSourceConfig;

import io.debezium.connector.postgresql.PostgresConnectorConfig;
import io.debezium.connector.postgresql.connection.PostgresConnection;
import io.pgcdc.connector.config.ConnectionSettings;
import io.pgcdc.connector.config.SlotNames;
import io.pgcdc.connector.config.SqlStates;
import io.pgcdc.connector.fetch.SharedConnectionHandle;
import io.pgcdc.connector.fetch.TrackedPostgresConnection;
import io.pgcdc.connector.resource.ConnectionLedger;
import io.pgcdc.connector.resource.ResourceScope;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What the enumerator owns on the database: one JDBC connection, labelled {@code pgcdc-enumerator},
 * shared by table discovery, the database preparation at start (publication, slot) and the chunk
 * splitter. It opens on first use, from the enumerator's {@code start()} on, and closes with the
 * enumerator; after that it refuses to open again, so nothing behind the enumerator's back can
 * reopen a connection nobody owns.
 *
 * <p>Threading: the coordinator thread and the enumerator's chunk-splitting thread use it; {@link
 * #cancelRunningStatement()} and {@link #close()} may come from any thread.
 */
final class EnumeratorConnections implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EnumeratorConnections.class);

    static final String ROLE = "enumerator";

    /** A close that hangs (a dead server) is abandoned after this. */
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);

    /**
     * SQLSTATEs: duplicate_object (the slot was created meanwhile), configuration_limit_exceeded.
     */
    private final PostgresSourceConfig config;

    private final ConnectionLedger ledger = new ConnectionLedger(ROLE);
    private final ResourceScope scope = ResourceScope.root(ROLE, CLOSE_TIMEOUT);
    private TrackedPostgresConnection jdbc;
    private boolean closed;

    EnumeratorConnections(PostgresSourceConfig config) {
        this.config = config;
    }

    /**
     * A handle on the enumerator's connection for one task of postgres-cdc's that wants "its own"
     * connection (discovery, the chunk splitter): closing the handle leaves the connection open.
     */
    synchronized PostgresConnection handle() {
        TrackedPostgresConnection connection = jdbc();
        try {
            return new SharedConnectionHandle(
                    dbzConfig(), connection.connection(), ConnectionSettings.applicationName(ROLE));
        } catch (SQLException e) {
            throw new IllegalStateException(
                    "Cannot use the enumerator's connection: " + e.getMessage(), e);
        }
    }

    private synchronized TrackedPostgresConnection jdbc() {
        if (closed) {
            throw new IllegalStateException("The enumerator's connections are closed");
        }
        if (jdbc == null) {
            jdbc =
                    scope.register(
                            "jdbc connection",
                            TrackedPostgresConnection.open(config, ROLE, ledger));
        }
        return jdbc;
    }

    /**
     * Creates the job's replication slot if it does not exist, with a statement on this owner's
     * connection, so nothing but this connection is left to close if it fails. The creation waits
     * for the transactions running when it started; a close meanwhile cancels it, and the server
     * then creates nothing.
     */
    void createSlotIfMissing(String slotName, String plugin) throws SQLException {
        PostgresConnection connection = jdbc();
        boolean exists =
                connection.prepareQueryAndMap(
                        "SELECT 1 FROM pg_catalog.pg_replication_slots WHERE slot_name = ?",
                        ps -> ps.setString(1, slotName),
                        rs -> rs.next());
        if (exists) {
            return;
        }
        try {
            connection.prepareQuery(
                    "SELECT * FROM pg_catalog.pg_create_logical_replication_slot(?, ?)",
                    ps -> {
                        ps.setString(1, slotName);
                        ps.setString(2, plugin);
                    },
                    rs -> {});
            LOG.info("Created replication slot '{}' for plugin {}", slotName, plugin);
        } catch (SQLException e) {
            if (SqlStates.DUPLICATE_OBJECT.equals(e.getSQLState())) {
                LOG.info(
                        "Replication slot '{}' was created meanwhile; the job streams from it",
                        slotName);
                return;
            }
            if (SqlStates.CONFIGURATION_LIMIT_EXCEEDED.equals(e.getSQLState())) {
                throw new SQLException(
                        "Cannot create replication slot '"
                                + slotName
                                + "' ('slot.name'): the server has no free replication slot (all"
                                + " 'max_replication_slots' are in use); drop an unused slot"
                                + " (SELECT pg_drop_replication_slot('<name>')) or raise"
                                + " max_replication_slots (needs a restart)",
                        e.getSQLState(),
                        e);
            }
            throw e;
        }
    }

    /**
     * Drops this job's inactive backfill slots left by tasks that died without closing: only slots
     * whose names this job's {@code slot.name} and database derive ({@link SlotNames}), logical,
     * decoding with the job's plugin; an active one is left alone.
     */
    void dropStaleBackfillSlots(String slotName, String plugin) {
        String database = config.getDatabaseList().get(0);
        try {
            PostgresConnection connection = jdbc();
            List<String> stale = new ArrayList<>();
            connection.prepareQuery(
                    "SELECT slot_name FROM pg_catalog.pg_replication_slots WHERE NOT active AND"
                        + " slot_type = 'logical' AND database = current_database() AND plugin = ?",
                    ps -> ps.setString(1, plugin),
                    rs -> {
                        while (rs.next()) {
                            if (SlotNames.isBackfill(rs.getString(1), slotName, database)) {
                                stale.add(rs.getString(1));
                            }
                        }
                    });
            for (String slot : stale) {
                LOG.info(
                        "Dropping stale backfill slot '{}' left by an earlier run of this job",
                        slot);
                connection.prepareQuery(
                        "SELECT pg_catalog.pg_drop_replication_slot(slot_name) FROM"
                            + " pg_catalog.pg_replication_slots WHERE slot_name = ? AND NOT active",
                        ps -> ps.setString(1, slot),
                        rs -> {});
            }
        } catch (SQLException e) {
            LOG.warn("Could not look for stale backfill slots: {}", e.getMessage());
        }
    }

    /**
     * Drops the slot if it exists and nothing holds it: a {@code snapshot}-mode job's own slot (see
     * {@link SlotNames#snapshotMode}) left by an earlier run that did not end, before a new run
     * creates a fresh one.
     */
    void dropInactiveSlot(String slotName) throws SQLException {
        jdbc().prepareQuery(
                        "SELECT pg_catalog.pg_drop_replication_slot(slot_name) FROM"
                            + " pg_catalog.pg_replication_slots WHERE slot_name = ? AND NOT active"
                            + " AND database = current_database()",
                        ps -> ps.setString(1, slotName),
                        rs -> {
                            if (rs.next()) {
                                LOG.info(
                                        "Dropped slot '{}' left by an earlier run of this snapshot"
                                                + " job",
                                        slotName);
                            }
                        });
    }

    /**
     * Cancels the statement the connection runs now, if any (the splitting thread's chunk query, a
     * slot creation waiting for running transactions), so that the thread running it returns.
     */
    void cancelRunningStatement() {
        TrackedPostgresConnection connection;
        synchronized (this) {
            connection = jdbc;
        }
        if (connection != null) {
            connection.cancelRunningStatement();
        }
    }

    ConnectionLedger ledger() {
        return ledger;
    }

    private PostgresConnectorConfig dbzConfig() {
        return config.getDbzConnectorConfig();
    }

    /** Closes the connection (cancelling a statement still running on it); idempotent. */
    @Override
    public void close() throws Exception {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        try {
            scope.close();
        } finally {
            LOG.info("{}", ledger);
        }
    }
}
