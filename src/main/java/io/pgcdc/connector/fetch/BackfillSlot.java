package io.pgcdc.connector.fetch;

import io.debezium.connector.postgresql.connection.Lsn;
import io.debezium.connector.postgresql.connection.PostgresConnection;
import io.debezium.relational.TableId;
import io.pgcdc.connector.config.SqlNames;
import io.pgcdc.connector.config.SqlStates;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.annotation.concurrent.ThreadSafe;

import java.sql.SQLException;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * One reader's backfill slot (named by {@link io.pgcdc.connector.config.SlotNames#backfill}),
 * created once for all the reader's snapshot splits and dropped when the reader closes. A stale
 * inactive slot of the same name, left by a task that died, is dropped before ours is created.
 *
 * <p>With pgoutput, the slot also answers whether a split's table changed between its low and high
 * watermark by peeking at the decoded changes over the reader's ordinary JDBC connection; when it
 * did not, the backfill needs no replication connection at all. After each split the slot advances
 * to the split's high watermark so it retains only the WAL the next split may need.
 *
 * <p>Threading: created and used by the reader's split fetcher and producer threads; {@link #drop}
 * may run on the task thread as the reader closes, and synchronizes.
 */
@ThreadSafe
final class BackfillSlot {

    private static final Logger LOG = LoggerFactory.getLogger(BackfillSlot.class);
    private static final Duration RELEASE_WAIT = Duration.ofSeconds(10);
    private static final Duration FLUSH_WAIT = Duration.ofSeconds(10);

    // pgoutput protocol 1 message tags: Insert, Update, Delete (relation oid follows) and Truncate
    private static final String CHANGES_OF_TABLE =
            "SELECT count(*) FROM pg_logical_slot_peek_binary_changes(?, ?::pg_lsn, NULL,"
                    + " 'proto_version', '1', 'publication_names', ?)"
                    + " WHERE get_byte(data, 0) = 84"
                    + " OR (get_byte(data, 0) IN (73, 85, 68)"
                    + " AND ('x' || encode(substring(data from 2 for 4), 'hex'))::bit(32)::bigint"
                    + " = to_regclass(?)::oid::bigint)";

    private final String name;
    private final String plugin;
    private final String publication;
    private final Supplier<PostgresConnection> connection;

    /**
     * Whether a slot of this name left on the server is ours to drop (set once we start creating
     * it).
     */
    private volatile boolean ours;

    private boolean dropped;

    BackfillSlot(
            String name,
            String plugin,
            String publication,
            Supplier<PostgresConnection> connection) {
        this.name = name;
        this.plugin = plugin;
        this.publication = publication;
        this.connection = connection;
    }

    /**
     * Creates the slot (after dropping a stale inactive one of the same name). The owner registers
     * this slot's drop before calling it: the creation waits for the transactions running when it
     * started, and a close meanwhile (which cancels the creation) must still drop whatever slot the
     * server may have made of it.
     */
    void create() throws SQLException {
        PostgresConnection jdbc = connection.get();
        Integer activePid = activePid(jdbc, name);
        if (activePid != null && activePid > 0) {
            throw new IllegalStateException(
                    "Backfill slot '"
                            + name
                            + "' is in use by backend "
                            + activePid
                            + "; is another job running with the same 'slot.name'? Give each job"
                            + " its own 'slot.name'.");
        }
        ours = true;
        if (activePid != null) {
            LOG.info("Dropping stale backfill slot '{}' left by an earlier task", name);
            jdbc.prepareQuery(
                    "SELECT pg_drop_replication_slot(?)", ps -> ps.setString(1, name), rs -> {});
        }
        jdbc.prepareQuery(
                "SELECT * FROM pg_create_logical_replication_slot(?, ?)",
                ps -> {
                    ps.setString(1, name);
                    ps.setString(2, plugin);
                },
                rs -> {});
        LOG.info("Created backfill slot '{}'", name);
    }

    String name() {
        return name;
    }

    /**
     * Whether the slot decoded any insert, update, delete or truncate of the table committed before
     * {@code upTo}. Only pgoutput can be peeked at this way; other plugins always answer true, so
     * the backfill replays the changes through Debezium.
     */
    boolean hasChanges(TableId table, Lsn upTo) throws SQLException {
        if (!"pgoutput".equals(plugin)) {
            return true;
        }
        if (!awaitFlushed(upTo)) {
            LOG.info(
                    "WAL up to {} was not flushed within {}; replaying the backfill to be safe",
                    upTo,
                    FLUSH_WAIT);
            return true;
        }
        awaitReleased(connection.get(), name);
        String qualified = SqlNames.qualified(table.schema(), table.table());
        long changes =
                connection
                        .get()
                        .prepareQueryAndMap(
                                CHANGES_OF_TABLE,
                                ps -> {
                                    ps.setString(1, name);
                                    ps.setString(2, upTo.asString());
                                    ps.setString(3, publication);
                                    ps.setString(4, qualified);
                                },
                                rs -> rs.next() ? rs.getLong(1) : 0L);
        return changes > 0;
    }

    /**
     * Logical decoding reads only flushed WAL; with {@code synchronous_commit=off} a commit before
     * the high watermark may not be flushed yet, and a peek would not see it. Waits for the flush
     * (the WAL writer flushes within {@code wal_writer_delay}, 200 ms by default).
     */
    private boolean awaitFlushed(Lsn upTo) throws SQLException {
        long deadline = System.nanoTime() + FLUSH_WAIT.toNanos();
        while (true) {
            boolean flushed =
                    connection
                            .get()
                            .prepareQueryAndMap(
                                    "SELECT pg_current_wal_flush_lsn() >= ?::pg_lsn",
                                    ps -> ps.setString(1, upTo.asString()),
                                    rs -> rs.next() && rs.getBoolean(1));
            if (flushed) {
                return true;
            }
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    /** Lets the slot release WAL before {@code lsn}; it never moves backwards. */
    void advanceTo(Lsn lsn) throws SQLException {
        awaitReleased(connection.get(), name);
        connection
                .get()
                .prepareQuery(
                        "SELECT pg_replication_slot_advance(slot_name, ?::pg_lsn) FROM"
                            + " pg_replication_slots WHERE slot_name = ? AND confirmed_flush_lsn <"
                            + " ?::pg_lsn",
                        ps -> {
                            ps.setString(1, lsn.asString());
                            ps.setString(2, name);
                            ps.setString(3, lsn.asString());
                        },
                        rs -> {});
    }

    /**
     * Drops the slot over the given connection, waiting briefly for a replication connection that
     * used it to go away. Idempotent.
     */
    synchronized void drop(PostgresConnection jdbc) throws SQLException {
        if (dropped || !ours) {
            return;
        }
        if (dropWhenReleased(jdbc, name)) {
            LOG.info("Dropped backfill slot '{}'", name);
        }
        dropped = true;
    }

    /**
     * Drops a slot once no replication connection holds it (Debezium's walsender exits
     * asynchronously after its connection closes). Returns false if there is no such slot.
     */
    static boolean dropWhenReleased(PostgresConnection jdbc, String name) throws SQLException {
        for (int attempt = 1; ; attempt++) {
            try {
                Integer pid = awaitReleased(jdbc, name);
                if (pid == null) {
                    return false;
                }
                jdbc.prepareQuery(
                        "SELECT pg_drop_replication_slot(?)",
                        ps -> ps.setString(1, name),
                        rs -> {});
                return true;
            } catch (SQLException e) {
                // the cancel the reader's close sent for another statement can land on this one
                if (!SqlStates.QUERY_CANCELED.equals(e.getSQLState()) || attempt == 2) {
                    throw e;
                }
            }
        }
    }

    /**
     * Waits (bounded) until no replication connection holds the slot: after a replay, Debezium's
     * walsender exits asynchronously, and a peek, advance or drop of an active slot fails. Returns
     * the slot's active pid as last seen (0 once released, null if the slot is gone).
     */
    private static Integer awaitReleased(PostgresConnection jdbc, String name) throws SQLException {
        long deadline = System.nanoTime() + RELEASE_WAIT.toNanos();
        Integer pid = activePid(jdbc, name);
        while (pid != null && pid > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20); // polling the walsender's exit
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            pid = activePid(jdbc, name);
        }
        return pid;
    }

    /** The slot's active pid, 0 if inactive, null if there is no such slot. */
    private static Integer activePid(PostgresConnection jdbc, String name) throws SQLException {
        return jdbc.prepareQueryAndMap(
                "SELECT coalesce(active_pid, 0) FROM pg_replication_slots WHERE slot_name = ?",
                ps -> ps.setString(1, name),
                rs -> rs.next() ? rs.getInt(1) : null);
    }

    @Override
    public String toString() {
        return "backfill slot " + name;
    }
}
