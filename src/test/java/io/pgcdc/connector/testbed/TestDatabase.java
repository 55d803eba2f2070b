package io.pgcdc.connector.testbed;

import io.pgcdc.connector.config.SlotNames;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/** A fresh database and slot name on the test server, for one test. */
public final class TestDatabase {

    private final PostgresServer server;
    private final String name;
    private final String slotName;

    TestDatabase(PostgresServer server, String name, String slotName) {
        this.server = server;
        this.name = name;
        this.slotName = slotName;
    }

    public PostgresServer server() {
        return server;
    }

    public String name() {
        return name;
    }

    public String slotName() {
        return slotName;
    }

    public Connection connect() throws SQLException {
        return server.connect(name);
    }

    /** Runs statements in autocommit mode. */
    public void execute(String... statements) {
        try (Connection c = connect();
                Statement s = c.createStatement()) {
            for (String sql : statements) {
                s.execute(sql);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("SQL failed: " + e.getMessage(), e);
        }
    }

    /** Rows of a query, each column as text. */
    public List<List<String>> query(String sql) {
        List<List<String>> rows = new ArrayList<>();
        try (Connection c = connect();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            int columns = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                List<String> row = new ArrayList<>();
                for (int i = 1; i <= columns; i++) {
                    row.add(rs.getString(i));
                }
                rows.add(row);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("SQL failed: " + e.getMessage(), e);
        }
        return rows;
    }

    /**
     * Rows of a query keyed by its first column, each a column-name-to-text map in column order.
     */
    public java.util.Map<String, java.util.Map<String, String>> rowsByFirstColumn(String sql) {
        java.util.Map<String, java.util.Map<String, String>> rows = new java.util.TreeMap<>();
        try (Connection c = connect();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            int columns = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                java.util.Map<String, String> row = new java.util.LinkedHashMap<>();
                for (int i = 1; i <= columns; i++) {
                    row.put(rs.getMetaData().getColumnLabel(i), String.valueOf(rs.getString(i)));
                }
                rows.put(rs.getString(1), row);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("SQL failed: " + e.getMessage(), e);
        }
        return rows;
    }

    /** {@code server_version_num}, e.g. 170011. */
    public int serverVersionNum() {
        return (int) queryLong("SELECT current_setting('server_version_num')");
    }

    public long queryLong(String sql) {
        return Long.parseLong(query(sql).get(0).get(0));
    }

    /**
     * Every session on this database (walsenders of logical slots carry the database name too)
     * except the harness's own, by pid, as {@code application_name|state}.
     */
    public Map<Integer, String> connectorSessions() {
        Map<Integer, String> sessions = new HashMap<>();
        for (List<String> row :
                query(
                        "SELECT pid, coalesce(application_name, ''), coalesce(state, '') FROM"
                                + " pg_stat_activity"
                                + connectorSessionsFilter())) {
            sessions.put(Integer.parseInt(row.get(0)), row.get(1) + "|" + row.get(2));
        }
        return sessions;
    }

    /**
     * Sessions on this database but the harness's: client backends and walsenders, not autovacuum.
     */
    private String connectorSessionsFilter() {
        return " WHERE datname = '"
                + name
                + "' AND pid <> pg_backend_pid()"
                + " AND coalesce(application_name, '') <> 'test-harness'"
                + " AND backend_type IN ('client backend', 'walsender')";
    }

    /**
     * Sessions of the connector (as {@link #connectorSessions()}) idle in transaction for longer
     * than the given time: a split's transaction left open, not one between two cursor fetches.
     */
    public Map<Integer, String> stuckInTransaction(Duration longerThan) {
        Map<Integer, String> sessions = new HashMap<>();
        for (List<String> row :
                query(
                        "SELECT pid, coalesce(application_name, '') FROM pg_stat_activity"
                                + connectorSessionsFilter()
                                + " AND state = 'idle in transaction'"
                                + " AND now() - state_change > interval '"
                                + longerThan.toMillis()
                                + " milliseconds'")) {
            sessions.put(Integer.parseInt(row.get(0)), row.get(1));
        }
        return sessions;
    }

    /** The pid of the walsender streaming the user's global slot, or null. */
    public Integer globalSlotReader() {
        return globalSlotReader(slotName());
    }

    /**
     * The pid of the walsender streaming the named slot, or null. Streaming means past
     * START_REPLICATION: a slot is also active while it is being created, before the stream split
     * has its start offset, so "active" alone is no sign that a write from now on will be read.
     */
    public Integer globalSlotReader(String slot) {
        return firstPid(
                query(
                        "SELECT s.active_pid FROM pg_replication_slots s JOIN pg_stat_replication r"
                            + " ON r.pid = s.active_pid WHERE s.active AND r.state IN ('catchup',"
                            + " 'streaming') AND s.slot_name = '"
                                + slot
                                + "'"));
    }

    /** The pid of whatever process holds the named slot (creating or streaming it), or null. */
    public Integer slotHolder(String slot) {
        return firstPid(
                query(
                        "SELECT active_pid FROM pg_replication_slots WHERE active AND slot_name = '"
                                + slot
                                + "'"));
    }

    private static Integer firstPid(List<List<String>> rows) {
        return rows.isEmpty() || rows.get(0).get(0) == null
                ? null
                : Integer.valueOf(rows.get(0).get(0));
    }

    /** The user's slot's {@code confirmed_flush_lsn} as text, e.g. {@code 0/1A2B3C4}. */
    public String confirmedFlushLsn() {
        return query(
                        "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '"
                                + slotName
                                + "'")
                .get(0)
                .get(0);
    }

    /** Whether the user's slot confirmed more than {@code lsn}. */
    public boolean slotConfirmedBeyond(String lsn) {
        return "t"
                .equals(
                        query(
                                        "SELECT confirmed_flush_lsn > '"
                                                + lsn
                                                + "'::pg_lsn FROM pg_replication_slots"
                                                + " WHERE slot_name = '"
                                                + slotName
                                                + "'")
                                .get(0)
                                .get(0));
    }

    /**
     * The start of the job's backfill slots' names (see {@link SlotNames#backfill}), subtask left
     * off.
     */
    public String backfillSlotPrefix() {
        return SlotNames.backfillPrefix(slotName, name);
    }

    /** The slot a {@code snapshot}-mode job with this database's slot name streams from. */
    public String snapshotModeSlot() {
        return SlotNames.snapshotMode(slotName, name);
    }

    public List<String> slots() {
        List<String> slots = new ArrayList<>();
        for (List<String> row :
                query(
                        "SELECT slot_name FROM pg_replication_slots WHERE database = '"
                                + name
                                + "'")) {
            slots.add(row.get(0));
        }
        return slots;
    }

    /** Polls a condition until it holds or the timeout passes; returns whether it held. */
    public static boolean await(Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return condition.getAsBoolean();
    }

    /** Terminates every session on the database, drops its slots and the database itself. */
    void drop() {
        try (Connection admin = server.connect(server.adminDatabase());
                Statement s = admin.createStatement()) {
            s.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <>"
                            + " pg_backend_pid() AND (datname = '"
                            + name
                            + "')");
            TestDatabase.await(
                    Duration.ofSeconds(10),
                    () -> {
                        try (ResultSet rs =
                                admin.createStatement()
                                        .executeQuery(
                                                "SELECT count(*) FROM pg_replication_slots WHERE"
                                                        + " database = '"
                                                        + name
                                                        + "' AND active")) {
                            rs.next();
                            return rs.getLong(1) == 0;
                        } catch (SQLException e) {
                            return false;
                        }
                    });
            s.execute(
                    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE"
                            + " database = '"
                            + name
                            + "' AND NOT active");
            if (admin.getMetaData().getDatabaseMajorVersion() >= 13) {
                s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
            } else { // no FORCE before 13: its sessions were terminated above
                TestDatabase.await(
                        Duration.ofSeconds(10),
                        () -> {
                            try {
                                s.execute("DROP DATABASE IF EXISTS " + name);
                                return true;
                            } catch (SQLException e) {
                                return false;
                            }
                        });
            }
        } catch (SQLException e) {
            throw new IllegalStateException(
                    "Cannot drop test database " + name + ": " + e.getMessage(), e);
        }
    }
}
