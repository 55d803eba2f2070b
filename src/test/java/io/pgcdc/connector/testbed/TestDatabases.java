package io.pgcdc.connector.testbed;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/** Creates and drops per-test databases (each with its own slot name) on a server. */
public final class TestDatabases {

    private TestDatabases() {}

    public static TestDatabase create(PostgresServer server) {
        String id = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        String name = "t_" + id;
        try (Connection admin = server.connect(server.adminDatabase());
                Statement s = admin.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot create test database: " + e.getMessage(), e);
        }
        return new TestDatabase(server, name, "slot_" + id);
    }

    public static void drop(TestDatabase db) {
        db.drop();
    }
}
