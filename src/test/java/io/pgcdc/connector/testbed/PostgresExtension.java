package io.pgcdc.connector.testbed;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

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
        return e.getStore(NS)
                .getOrComputeIfAbsent(
                        "db", k -> TestDatabases.create(PostgresServer.get()), TestDatabase.class);
    }

    @Override
    public void afterEach(ExtensionContext e) {
        TestDatabase db = e.getStore(NS).remove("db", TestDatabase.class);
        if (db != null) {
            TestDatabases.drop(db);
        }
    }
}
