package io.pgcdc.connector.factory;

import org.apache.flink.annotation.Internal;
import org.apache.flink.table.api.ValidationException;

import io.pgcdc.connector.config.PostgresSourceSettings;
import io.pgcdc.connector.config.PublicationMode;
import io.pgcdc.connector.config.SqlNames;
import io.pgcdc.connector.fetch.Publication;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.pgcdc.connector.config.SqlNames.quote;

/**
 * Checks the server and the captured tables when the job is created, before anything exists on the
 * database for it (no slot, no publication, no reader). Every problem found is reported at once,
 * one line each, naming the server setting, privilege or table and the statement or option that
 * fixes it — instead of a Debezium stack trace from a task minutes later.
 */
@Internal
public final class StartupChecks {

    /** A slot still held by a job that is stopping is given this long to be released. */
    static final Duration SLOT_RELEASE_WAIT = Duration.ofSeconds(10);

    private static final String TABLE_FACTS =
            "SELECT t.schema_name, t.table_name, c.relreplident, has_table_privilege(c.oid,"
                + " 'SELECT'), EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid"
                + " AND i.indisprimary) FROM unnest(?::text[], ?::text[]) AS t(schema_name,"
                + " table_name) JOIN pg_catalog.pg_namespace n ON n.nspname = t.schema_name JOIN"
                + " pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = t.table_name";

    private StartupChecks() {}

    /**
     * Throws a {@link ValidationException} listing every problem found; returns if there is none.
     */
    public static void verify(
            Connection jdbc, PostgresSourceSettings settings, List<String[]> tables) {
        List<String> problems = new ArrayList<>();
        try {
            checkServer(jdbc, settings, problems);
            checkTables(jdbc, settings, tables, problems);
            checkPublication(jdbc, settings, problems);
            if (problems.isEmpty()) {
                checkSlot(
                        jdbc, settings,
                        problems); // waits for a held slot: only worth it if all else is fine
            }
        } catch (SQLException e) {
            throw new ValidationException(
                    "Checking the server before starting failed: "
                            + settings.connection.redact(e.getMessage()),
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ValidationException(
                    "Interrupted while checking the server before starting", e);
        }
        if (!problems.isEmpty()) {
            throw new ValidationException(
                    "PostgreSQL is not ready for change data capture ("
                            + problems.size()
                            + (problems.size() == 1 ? " problem" : " problems")
                            + "):\n  - "
                            + String.join("\n  - ", problems));
        }
    }

    private static void checkServer(
            Connection jdbc, PostgresSourceSettings settings, List<String> problems)
            throws SQLException {
        String walLevel = queryString(jdbc, "SELECT current_setting('wal_level')");
        if (!"logical".equals(walLevel)) {
            problems.add(
                    "the server's wal_level is '"
                            + walLevel
                            + "', logical decoding needs 'logical': run ALTER SYSTEM SET wal_level"
                            + " = logical (or set it in postgresql.conf) and restart the server");
        }
        int version =
                Integer.parseInt(queryString(jdbc, "SELECT current_setting('server_version_num')"));
        if (settings.includePartitionedTables && version < 130000) {
            problems.add(
                    "'scan.include-partitioned-tables.enabled' needs PostgreSQL 13 or later"
                        + " (publications that publish via the partition root); this server runs "
                            + queryString(jdbc, "SELECT current_setting('server_version')")
                            + ": capture the partitions themselves (set the option to false) or"
                            + " upgrade the server");
        }
        String user = settings.connection.username();
        boolean canReplicate =
                queryBoolean(
                        jdbc,
                        "SELECT r.rolsuper OR r.rolreplication OR (EXISTS (SELECT 1 FROM"
                                + " pg_catalog.pg_roles WHERE rolname = 'rds_replication')     AND"
                                + " pg_has_role(current_user, 'rds_replication', 'MEMBER')) FROM"
                                + " pg_catalog.pg_roles r WHERE r.rolname = current_user");
        if (!canReplicate) {
            problems.add(
                    "user '"
                            + user
                            + "' may not use replication: run ALTER ROLE "
                            + quote(user)
                            + " WITH REPLICATION (on Amazon RDS: GRANT rds_replication TO "
                            + quote(user)
                            + ")");
        }
        int maxWalSenders =
                Integer.parseInt(queryString(jdbc, "SELECT current_setting('max_wal_senders')"));
        long walSenders =
                queryLong(
                        jdbc,
                        "SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE backend_type ="
                                + " 'walsender'");
        if (walSenders >= maxWalSenders) {
            problems.add(
                    "all "
                            + maxWalSenders
                            + " WAL senders (max_wal_senders) are in use, the stream needs one:"
                            + " stop an unused replication client or raise max_wal_senders and"
                            + " restart the server");
        }
    }

    private static void checkTables(
            Connection jdbc,
            PostgresSourceSettings settings,
            List<String[]> tables,
            List<String> problems)
            throws SQLException {
        String[] schemas = new String[tables.size()];
        String[] names = new String[tables.size()];
        for (int i = 0; i < tables.size(); i++) {
            schemas[i] = tables.get(i)[0];
            names[i] = tables.get(i)[1];
        }
        List<String> unreadable = new ArrayList<>();
        try (PreparedStatement statement = jdbc.prepareStatement(TABLE_FACTS)) {
            Array schemaArray = jdbc.createArrayOf("text", schemas);
            Array nameArray = jdbc.createArrayOf("text", names);
            statement.setArray(1, schemaArray);
            statement.setArray(2, nameArray);
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    String table = SqlNames.qualified(rs.getString(1), rs.getString(2));
                    String identity = rs.getString(3);
                    boolean hasPrimaryKey = rs.getBoolean(5);
                    if (!rs.getBoolean(4)) {
                        unreadable.add(table);
                    }
                    if (!hasPrimaryKey && settings.chunkKeyColumn == null) {
                        problems.add(
                                "table "
                                        + table
                                        + " has no primary key, so the snapshot cannot be split:"
                                        + " add a primary key, or set"
                                        + " 'scan.incremental.snapshot.chunk.key-column' to a"
                                        + " column that orders it");
                    }
                    if ("n".equals(identity) || ("d".equals(identity) && !hasPrimaryKey)) {
                        problems.add(
                                "table "
                                        + table
                                        + " has REPLICA IDENTITY "
                                        + ("n".equals(identity)
                                                ? "NOTHING"
                                                : "DEFAULT without a primary key")
                                        + ", so its updates and deletes would reach the stream"
                                        + " without the old row: run ALTER TABLE "
                                        + table
                                        + " REPLICA IDENTITY FULL");
                    }
                }
            } finally {
                schemaArray.free();
                nameArray.free();
            }
        }
        if (!unreadable.isEmpty()) {
            problems.add(
                    "user '"
                            + settings.connection.username()
                            + "' may not read "
                            + String.join(", ", unreadable)
                            + ": run GRANT SELECT ON "
                            + String.join(", ", unreadable)
                            + " TO "
                            + quote(settings.connection.username()));
        }
    }

    private static void checkPublication(
            Connection jdbc, PostgresSourceSettings settings, List<String> problems)
            throws SQLException {
        if (!"pgoutput".equals(settings.decodingPluginName)
                || settings.publicationAutocreateMode != PublicationMode.DISABLED) {
            return;
        }
        Boolean viaRoot = Publication.publishesViaRoot(jdbc, settings.publicationName);
        if (viaRoot == null) {
            problems.add(
                    "publication '"
                            + settings.publicationName
                            + "' does not exist and 'publication.autocreate.mode' is 'disabled':"
                            + " create it with CREATE PUBLICATION "
                            + quote(settings.publicationName)
                            + " FOR TABLE <the captured tables>, or set the mode"
                            + " to 'filtered'");
        } else if (settings.includePartitionedTables
                && !viaRoot
                && jdbc.getMetaData().getDatabaseMajorVersion()
                        >= 13) { // before 13 checkServer says why
            problems.add(
                    "publication '"
                            + settings.publicationName
                            + "' does not publish via the partition root, which"
                            + " 'scan.include-partitioned-tables.enabled' needs: run ALTER"
                            + " PUBLICATION "
                            + quote(settings.publicationName)
                            + " SET (publish_via_partition_root = true)");
        }
    }

    private static void checkSlot(
            Connection jdbc, PostgresSourceSettings settings, List<String> problems)
            throws SQLException, InterruptedException {
        String slot = settings.jobSlotName();
        long deadline = System.nanoTime() + SLOT_RELEASE_WAIT.toNanos();
        while (true) {
            try (PreparedStatement statement =
                    jdbc.prepareStatement(
                            "SELECT s.slot_type, s.plugin, s.database, s.active, s.active_pid,"
                                + " a.application_name FROM pg_catalog.pg_replication_slots s LEFT"
                                + " JOIN pg_catalog.pg_stat_activity a ON a.pid = s.active_pid"
                                + " WHERE s.slot_name = ?")) {
                statement.setString(1, slot);
                try (ResultSet rs = statement.executeQuery()) {
                    if (!rs.next()) {
                        checkSlotCapacity(jdbc, slot, problems);
                        return;
                    }
                    String type = rs.getString(1);
                    String plugin = rs.getString(2);
                    String database = rs.getString(3);
                    if (!"logical".equals(type)) {
                        problems.add(
                                "replication slot '"
                                        + slot
                                        + "' is a physical slot: choose another 'slot.name'");
                        return;
                    }
                    if (!settings.database().equals(database)) {
                        problems.add(
                                "replication slot '"
                                        + slot
                                        + "' belongs to database '"
                                        + database
                                        + "', not '"
                                        + settings.database()
                                        + "': choose another 'slot.name'");
                        return;
                    }
                    if (!settings.decodingPluginName.equals(plugin)) {
                        problems.add(
                                "replication slot '"
                                        + slot
                                        + "' decodes with '"
                                        + plugin
                                        + "', but"
                                        + " 'decoding.plugin.name' is '"
                                        + settings.decodingPluginName
                                        + "': set"
                                        + " 'decoding.plugin.name: "
                                        + plugin
                                        + "', or drop the slot with SELECT"
                                        + " pg_drop_replication_slot('"
                                        + slot
                                        + "') if nothing else uses it");
                        return;
                    }
                    if (!rs.getBoolean(4)) {
                        return;
                    }
                    if (System.nanoTime() > deadline) {
                        String holder = rs.getString(6);
                        problems.add(
                                "replication slot '"
                                        + slot
                                        + "' is in use by process "
                                        + rs.getInt(5)
                                        + (holder == null || holder.isEmpty()
                                                ? ""
                                                : " ('" + holder + "')")
                                        + ": stop that client or choose another 'slot.name'");
                        return;
                    }
                }
            }
            Thread.sleep(200); // polling the slot's release by another process
        }
    }

    private static void checkSlotCapacity(Connection jdbc, String slot, List<String> problems)
            throws SQLException {
        int maxSlots =
                Integer.parseInt(
                        queryString(jdbc, "SELECT current_setting('max_replication_slots')"));
        long slots = queryLong(jdbc, "SELECT count(*) FROM pg_catalog.pg_replication_slots");
        if (slots >= maxSlots) {
            problems.add(
                    "all "
                            + maxSlots
                            + " replication slots (max_replication_slots) are taken and slot '"
                            + slot
                            + "' does not exist yet: drop an unused slot (SELECT slot_name, active"
                            + " FROM pg_replication_slots) or raise max_replication_slots and"
                            + " restart the server");
        }
    }

    private static String queryString(Connection jdbc, String sql) throws SQLException {
        try (Statement statement = jdbc.createStatement();
                ResultSet rs = statement.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static boolean queryBoolean(Connection jdbc, String sql) throws SQLException {
        try (Statement statement = jdbc.createStatement();
                ResultSet rs = statement.executeQuery(sql)) {
            return rs.next() && rs.getBoolean(1);
        }
    }

    private static long queryLong(Connection jdbc, String sql) throws SQLException {
        try (Statement statement = jdbc.createStatement();
                ResultSet rs = statement.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
