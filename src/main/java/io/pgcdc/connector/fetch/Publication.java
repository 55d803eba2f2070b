package io.pgcdc.connector.fetch;

import org.apache.flink.annotation.Internal;

import io.debezium.connector.postgresql.connection.PostgresConnection;
import io.debezium.relational.TableId;
import io.pgcdc.connector.config.PublicationMode;
import io.pgcdc.connector.config.SqlNames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Serializable;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.StringJoiner;
import java.util.function.Supplier;

import static io.pgcdc.connector.config.SqlNames.quote;

/**
 * The pgoutput publication the job streams through, prepared once when the enumerator starts —
 * before the slot exists and before any table is streamed. Debezium's own publication handling is
 * turned off: in {@code filtered} mode it ran {@code ALTER PUBLICATION ... SET TABLE} with the
 * filter of whichever connection started, so a backfill of one table shrank the job's publication
 * to that table.
 *
 * <ul>
 *   <li>{@code disabled}: the publication must exist;
 *   <li>{@code all_tables}: created {@code FOR ALL TABLES} if missing (needs a superuser);
 *   <li>{@code filtered}: created for the captured tables if missing, and captured tables it lacks
 *       (a table added to {@code tables}) are added to it, never removed.
 * </ul>
 *
 * With partitioned tables captured through their root, the publication publishes via the root.
 */
@Internal
public final class Publication implements Serializable {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(Publication.class);

    private final String name;
    private final PublicationMode mode;
    private final boolean viaPartitionRoot;

    public Publication(String name, PublicationMode mode, boolean viaPartitionRoot) {
        this.name = name;
        this.mode = mode;
        this.viaPartitionRoot = viaPartitionRoot;
    }

    public String name() {
        return name;
    }

    /**
     * Creates or completes the publication for the captured tables, as the mode allows. The tables
     * are listed (a catalog query) only where the mode needs them.
     */
    public void prepare(PostgresConnection jdbc, Supplier<List<TableId>> captured)
            throws SQLException {
        Boolean existingViaRoot = publishesViaRoot(jdbc.connection(), name);
        String with = viaPartitionRoot ? " WITH (publish_via_partition_root = true)" : "";
        if (existingViaRoot == null) {
            switch (mode) {
                case DISABLED:
                    throw new IllegalStateException(
                            "Publication '"
                                    + name
                                    + "' does not exist and 'publication.autocreate.mode' is"
                                    + " 'disabled': create it (CREATE PUBLICATION "
                                    + quote(name)
                                    + " FOR TABLE "
                                    + tableList(captured.get())
                                    + with
                                    + ") or choose another mode");
                case ALL_TABLES:
                    execute(jdbc, "CREATE PUBLICATION " + quote(name) + " FOR ALL TABLES" + with);
                    return;
                default:
                    execute(
                            jdbc,
                            "CREATE PUBLICATION "
                                    + quote(name)
                                    + " FOR TABLE "
                                    + tableList(captured.get())
                                    + with);
                    return;
            }
        }
        if (viaPartitionRoot && !existingViaRoot) {
            if (mode == PublicationMode.DISABLED) {
                throw new IllegalStateException(
                        "Publication '"
                                + name
                                + "' does not publish via the partition root, which"
                                + " 'scan.include-partitioned-tables.enabled' needs: run ALTER"
                                + " PUBLICATION "
                                + quote(name)
                                + " SET (publish_via_partition_root = true)");
            }
            execute(
                    jdbc,
                    "ALTER PUBLICATION "
                            + quote(name)
                            + " SET (publish_via_partition_root = true)");
        }
        if (mode == PublicationMode.FILTERED) {
            Set<String> published = new HashSet<>();
            jdbc.prepareQuery(
                    "SELECT schemaname, tablename FROM pg_catalog.pg_publication_tables WHERE"
                            + " pubname = ?",
                    ps -> ps.setString(1, name),
                    rs -> {
                        while (rs.next()) {
                            published.add(SqlNames.qualified(rs.getString(1), rs.getString(2)));
                        }
                    });
            List<TableId> missing = new ArrayList<>();
            for (TableId table : captured.get()) {
                if (!published.contains(SqlNames.qualified(table.schema(), table.table()))) {
                    missing.add(table);
                }
            }
            if (!missing.isEmpty()) {
                execute(
                        jdbc,
                        "ALTER PUBLICATION " + quote(name) + " ADD TABLE " + tableList(missing));
            }
        }
    }

    /**
     * Whether the named publication publishes via the partition root; {@code null} if it does not
     * exist. {@code pubviaroot} came with PostgreSQL 13; before it nothing publishes via the root
     * (and the startup checks refuse {@code scan.include-partitioned-tables.enabled}).
     */
    public static Boolean publishesViaRoot(java.sql.Connection connection, String name)
            throws SQLException {
        boolean viaRootKnown = connection.getMetaData().getDatabaseMajorVersion() >= 13;
        try (java.sql.PreparedStatement statement =
                connection.prepareStatement(
                        "SELECT "
                                + (viaRootKnown ? "pubviaroot" : "false")
                                + " FROM pg_catalog.pg_publication WHERE pubname = ?")) {
            statement.setString(1, name);
            try (java.sql.ResultSet rs = statement.executeQuery()) {
                return rs.next() ? rs.getBoolean(1) : null;
            }
        }
    }

    private static void execute(PostgresConnection jdbc, String sql) throws SQLException {
        LOG.info("Preparing the publication: {}", sql);
        jdbc.execute(sql);
    }

    private static String tableList(List<TableId> tables) {
        StringJoiner list = new StringJoiner(", ");
        for (TableId table : tables) {
            list.add(SqlNames.qualified(table.schema(), table.table()));
        }
        return list.toString();
    }

    @Override
    public String toString() {
        return "publication "
                + name
                + " ("
                + mode.option()
                + (viaPartitionRoot ? ", via partition root" : "")
                + ")";
    }
}
