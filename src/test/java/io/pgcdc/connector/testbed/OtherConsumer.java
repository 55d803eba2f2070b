package io.pgcdc.connector.testbed;

import org.postgresql.PGConnection;
import org.postgresql.PGProperty;
import org.postgresql.replication.PGReplicationStream;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Another consumer of the database's WAL, with slots of its own named like ours: they must survive
 * whatever our jobs do, untouched. {@link #streamFrom} holds one of them active, as a running
 * consumer does; {@link #close()} lets go.
 */
public final class OtherConsumer implements AutoCloseable {

    private final TestDatabase db;
    private final List<String> slots = new ArrayList<>();
    private Connection replication;
    private PGReplicationStream stream;

    private OtherConsumer(TestDatabase db) {
        this.db = db;
    }

    /** Creates the consumer's (inactive) slots. */
    public static OtherConsumer withSlots(TestDatabase db, String... names) {
        OtherConsumer consumer = new OtherConsumer(db);
        for (String name : names) {
            db.execute("SELECT pg_create_logical_replication_slot('" + name + "', 'pgoutput')");
            consumer.slots.add(name);
        }
        return consumer;
    }

    /** Holds the named slot (one of the consumer's) active: a replication stream reads it. */
    public OtherConsumer streamFrom(String slot) throws SQLException {
        db.execute("CREATE PUBLICATION other_consumer FOR ALL TABLES");
        replication = replicationConnection(db, "test-harness");
        stream = startStreaming(replication, slot, "other_consumer");
        return this;
    }

    /** A replication connection to the database, its session labelled {@code applicationName}. */
    public static Connection replicationConnection(TestDatabase db, String applicationName)
            throws SQLException {
        Properties props = new Properties();
        PGProperty.USER.set(props, db.server().user());
        PGProperty.PASSWORD.set(props, db.server().password());
        PGProperty.APPLICATION_NAME.set(props, applicationName);
        PGProperty.REPLICATION.set(props, "database");
        // a walsender takes simple queries only; given a minimum version, pgjdbc sends its
        // session settings at startup rather than as queries
        PGProperty.ASSUME_MIN_SERVER_VERSION.set(props, "10");
        PGProperty.PREFER_QUERY_MODE.set(props, "simple");
        return DriverManager.getConnection(db.server().jdbcUrl(db.name()), props);
    }

    /**
     * Streams the logical slot over the connection, pgoutput with the publication: from then on the
     * slot is active, held by this session's walsender.
     */
    public static PGReplicationStream startStreaming(
            Connection replication, String slot, String publication) throws SQLException {
        return replication
                .unwrap(PGConnection.class)
                .getReplicationAPI()
                .replicationStream()
                .logical()
                .withSlotName(slot)
                .withSlotOption("proto_version", "1")
                .withSlotOption("publication_names", publication)
                .start();
    }

    /**
     * Each slot's state: {@code active, restart_lsn, confirmed_flush_lsn}, to compare before and
     * after.
     */
    public Map<String, String> slotStates() {
        Map<String, String> states = new LinkedHashMap<>();
        for (String slot : slots) {
            List<List<String>> rows =
                    db.query(
                            "SELECT active, restart_lsn, confirmed_flush_lsn FROM"
                                    + " pg_replication_slots WHERE slot_name = '"
                                    + slot
                                    + "'");
            states.put(slot, rows.isEmpty() ? "(gone)" : rows.get(0).toString());
        }
        return states;
    }

    @Override
    public void close() throws SQLException {
        try {
            if (stream != null) {
                stream.close();
            }
        } finally {
            if (replication != null) {
                replication.close();
            }
        }
    }
}
