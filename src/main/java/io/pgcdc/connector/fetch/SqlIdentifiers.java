package io.pgcdc.connector.fetch;

import io.debezium.relational.TableId;

/** Identifiers as they go into the SQL this package writes: always double-quoted. */
final class SqlIdentifiers {

    private SqlIdentifiers() {}

    static String quote(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }

    /** {@code "schema"."table"}. */
    static String qualified(TableId table) {
        return quote(table.schema()) + "." + quote(table.table());
    }
}
