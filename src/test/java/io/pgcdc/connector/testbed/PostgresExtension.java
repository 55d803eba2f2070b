package io.pgcdc.connector.testbed;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * Gives a test method a {@link TestDatabase}: a fresh database and slot name on the JVM's
 * logical-replication PostgreSQL, dropped (with its slots) after the test.
 */
public class PostgresExtension implements ParameterResolver, AfterEachCallback {

    private static final ExtensionContext.Namespace NS =
            ExtensionContext.Namespace.create(PostgresExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext p, ExtensionContext e) {
        return p.getParameter().getType() == TestDatabase.class;
    }

    @Override
    public Object resolveParameter(ParameterContext p, ExtensionContext e) {
        return e.getStore(NS).getOrComputeIfAbsent("db", k -> create(), TestDatabase.class);
    }

    private static TestDatabase create() {
        PostgresServer server = PostgresServer.get();
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

    @Override
    public void afterEach(ExtensionContext e) {
        TestDatabase db = e.getStore(NS).remove("db", TestDatabase.class);
        if (db != null) {
            db.drop();
        }
    }
}
