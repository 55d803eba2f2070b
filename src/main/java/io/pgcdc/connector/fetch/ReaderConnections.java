package io.pgcdc.connector.fetch;

import org.apache.flink.annotation.Internal;
import org.apache.flink.cdc.connectors.postgres.source.config.PostgresSourceConfig;

import io.debezium.connector.postgresql.PostgresConnectorConfig;
import io.debezium.connector.postgresql.connection.PostgresConnection;
import io.pgcdc.connector.config.ConnectionSettings;
import io.pgcdc.connector.config.SlotNames;
import io.pgcdc.connector.resource.ConnectionLedger;
import io.pgcdc.connector.resource.ResourceScope;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.annotation.concurrent.ThreadSafe;

import java.sql.SQLException;
import java.time.Duration;

/**
 * What one source reader (one subtask) owns on the database for its whole life: one JDBC connection
 * shared by all its splits — snapshot, backfill and stream, relabelled as its role changes — and
 * its backfill slot. Fetch-task contexts come and go (the split reader closes its scan fetcher
 * whenever no snapshot split is queued); their scopes are children of this reader scope, so the
 * connection and its type registry survive them and are opened once, not once per split.
 *
 * <p>Closing (reader close, cancellation, failover) closes every context scope still open, drops
 * the backfill slot and closes the connection, in that order, on every path.
 *
 * <p>Threading: the split fetcher thread and the split producer threads ask for the connection and
 * the slot, the task thread closes; every method but {@link #closing()} synchronizes on the
 * instance.
 */
@ThreadSafe
@Internal
public final class ReaderConnections implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ReaderConnections.class);

    /** A hung close (e.g. a dead server) is abandoned after this, so the task can go on. */
    static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

    private static final int VALIDATION_TIMEOUT_SECONDS = 5;

    private final PostgresSourceConfig config;
    private final int subtask;
    private final ConnectionLedger ledger;
    private final ResourceScope scope;

    private TrackedPostgresConnection jdbc;
    private BackfillSlot backfillSlot;

    /** The registered drop of {@link #backfillSlot}, released when the backfill ends. */
    private AutoCloseable backfillSlotDrop;

    private boolean slotDroppedOnClose;
    private volatile boolean closing;

    public ReaderConnections(PostgresSourceConfig config) {
        this.config = config;
        this.subtask = config.getSubtaskId();
        this.ledger = new ConnectionLedger("reader " + subtask);
        this.scope = ResourceScope.root("reader-" + subtask, CLOSE_TIMEOUT);
    }

    public ConnectionLedger ledger() {
        return ledger;
    }

    /** A scope for one fetch-task context, closed with the reader at the latest. */
    ResourceScope openContextScope(String name) {
        return scope.child(name);
    }

    /** {@code <role>-<subtask>}, the suffix of every application_name this reader sets. */
    String role(String role) {
        return role + "-" + subtask;
    }

    /**
     * The reader's JDBC connection labelled with the role; opened on first use and replaced if the
     * server closed it since the last split (the replacement is logged).
     */
    synchronized PostgresConnection jdbc(String role) throws SQLException {
        String label = role(role);
        if (jdbc != null && !isUsable(jdbc)) {
            LOG.warn(
                    "The reader's connection {} is no longer usable; opening a new one",
                    jdbc.role());
            discardJdbc();
        }
        if (jdbc == null) {
            jdbc =
                    scope.register(
                            "jdbc connection",
                            TrackedPostgresConnection.open(config, label, ledger));
        } else {
            jdbc.relabel(label);
        }
        return jdbc;
    }

    /**
     * A handle on the reader's connection, closed by whoever asked for it without closing the
     * connection. Used where postgres-cdc or Debezium want a connection of their own: a replication
     * connection's decoder (which closes its connection whenever the replication connection closes
     * or reconnects) and the dialect's occasional reader-side queries.
     */
    synchronized PostgresConnection sharedHandle() throws SQLException {
        TrackedPostgresConnection shared = (TrackedPostgresConnection) currentJdbc("stream");
        return new SharedConnectionHandle(
                dbzConfig(),
                shared.connection(),
                ConnectionSettings.applicationName(shared.role()));
    }

    /** The reader's connection as it is now (for watermarks within a running split). */
    synchronized PostgresConnection currentJdbc(String role) throws SQLException {
        return jdbc != null ? jdbc : jdbc(role);
    }

    /**
     * Ends the split's transaction: the snapshot cursor ran with autocommit off, and the session
     * must not sit idle in transaction (holding a lock and the xmin horizon) between splits.
     */
    synchronized void endTransaction() {
        if (jdbc == null) {
            return;
        }
        try {
            if (!jdbc.isConnected()) { // the server ended it: calling connection() would reconnect
                discardJdbc();
                return;
            }
            if (!jdbc.connection().getAutoCommit()) {
                jdbc.connection().rollback();
                jdbc.connection().setAutoCommit(true);
            }
        } catch (SQLException e) {
            LOG.warn(
                    "Could not end the split's transaction; closing the connection: {}",
                    e.getMessage());
            discardJdbc();
        }
    }

    /**
     * The reader's backfill slot, created on first use. Its drop is registered before the server is
     * asked to create it, and the creation runs outside this object's lock, so that a close
     * meanwhile can cancel it and drop what it left.
     */
    BackfillSlot backfillSlot() throws SQLException {
        BackfillSlot slot;
        synchronized (this) {
            if (backfillSlot != null) {
                return backfillSlot;
            }
            PostgresConnectorConfig dbz = dbzConfig();
            String plugin =
                    PostgresConnectorConfig.LogicalDecoder.parse(
                                    dbz.getConfig().getString(PostgresConnectorConfig.PLUGIN_NAME))
                            .getPostgresPluginName();
            slot =
                    new BackfillSlot(
                            backfillSlotName(),
                            plugin,
                            dbz.publicationName(),
                            () -> {
                                try {
                                    return currentJdbc("backfill");
                                } catch (SQLException e) {
                                    throw new IllegalStateException(e.getMessage(), e);
                                }
                            });
            AutoCloseable drop = () -> dropSlot(slot);
            scope.register("backfill slot " + slot.name(), drop);
            backfillSlot = slot;
            backfillSlotDrop = drop;
        }
        try {
            slot.create();
        } catch (SQLException | RuntimeException e) {
            synchronized (this) {
                backfillSlot = null; // the next split tries again; the registered drop stays
            }
            throw e;
        }
        return slot;
    }

    /**
     * The snapshot's backfill has ended (see {@code BackfillEndedEvent}): the reader's backfill
     * slot is dropped now, or, if this reader never created it, one of its name that a failed
     * earlier attempt of this subtask left behind; the next snapshot split would create it again.
     */
    public void releaseBackfillSlot() {
        AutoCloseable drop;
        synchronized (this) {
            drop = backfillSlotDrop;
            backfillSlot = null;
            backfillSlotDrop = null;
        }
        try {
            if (drop != null) {
                scope.release(drop);
            } else {
                withUsableConnection(
                        "backfill",
                        jdbc -> {
                            if (BackfillSlot.dropWhenReleased(jdbc, backfillSlotName())) {
                                LOG.info(
                                        "Dropped backfill slot '{}' left by an earlier attempt",
                                        backfillSlotName());
                            }
                        });
            }
        } catch (Exception e) {
            LOG.warn(
                    "Could not drop the backfill slot '{}' after the snapshot: {}",
                    backfillSlotName(),
                    e.getMessage());
        }
    }

    /** Drops the slot over the reader's connection, or a short one of its own if that is gone. */
    private void dropSlot(BackfillSlot slot) throws Exception {
        withUsableConnection("backfill", slot::drop);
    }

    /**
     * Drops the job's slot when this reader closes, after its stream has stopped reading it: the
     * {@code snapshot} startup mode streams only up to the snapshot's high watermark, and a slot
     * left behind would retain WAL forever. It is dropped once the stream has released it.
     */
    public synchronized void dropSlotOnClose(String slotName) {
        if (slotDroppedOnClose) {
            return;
        }
        slotDroppedOnClose = true;
        scope.register(
                "slot " + slotName,
                () ->
                        withUsableConnection(
                                "stream",
                                jdbc -> {
                                    if (BackfillSlot.dropWhenReleased(jdbc, slotName)) {
                                        LOG.info(
                                                "Dropped slot '{}': the snapshot is complete and"
                                                        + " nothing streams from it",
                                                slotName);
                                    }
                                }));
    }

    private interface SlotAction {
        void run(PostgresConnection jdbc) throws SQLException;
    }

    /** Runs over the reader's connection, or a short one of its own if that is gone. */
    private void withUsableConnection(String role, SlotAction action) throws Exception {
        TrackedPostgresConnection current;
        synchronized (this) {
            current = jdbc;
        }
        if (current != null && isUsable(current)) {
            action.run(current);
            return;
        }
        try (TrackedPostgresConnection own =
                TrackedPostgresConnection.open(config, role(role), ledger)) {
            action.run(own);
        }
    }

    /** A short-lived labelled connection; the caller owns and closes it. */
    public TrackedPostgresConnection openConnection(String role) {
        return TrackedPostgresConnection.open(config, role(role), ledger);
    }

    /** This reader's backfill slot (see {@link SlotNames#backfill}). */
    String backfillSlotName() {
        return SlotNames.backfill(
                config.getDbzProperties().getProperty("slot.name"),
                config.getDatabaseList().get(0),
                subtask);
    }

    private PostgresConnectorConfig dbzConfig() {
        return config.getDbzConnectorConfig();
    }

    private static boolean isUsable(TrackedPostgresConnection connection) {
        try {
            return connection.isConnected()
                    && connection.connection().isValid(VALIDATION_TIMEOUT_SECONDS);
        } catch (SQLException e) {
            return false;
        }
    }

    private void discardJdbc() {
        TrackedPostgresConnection broken = jdbc;
        jdbc = null;
        try {
            scope.release(broken);
        } catch (Exception e) {
            LOG.debug("Closing a broken connection failed", e);
        }
    }

    /**
     * The first phase of the reader's close: from now on what fails a fetch task is the close; the
     * statement the reader's connection runs (a split's query, a slot creation waiting for running
     * transactions) is cancelled, so that its thread returns and the server stops it.
     */
    public void beginClose() {
        closing = true;
        TrackedPostgresConnection current;
        synchronized (this) {
            current = jdbc;
        }
        if (current != null) {
            current.cancelRunningStatement();
        }
    }

    /** Whether the reader is closing (see {@link #beginClose()}). */
    public boolean closing() {
        return closing;
    }

    /** Closes every context scope, drops the backfill slot, closes the connection; idempotent. */
    @Override
    public void close() throws Exception {
        closing = true;
        try {
            scope.close();
        } finally {
            LOG.info("{}", ledger);
        }
    }
}
