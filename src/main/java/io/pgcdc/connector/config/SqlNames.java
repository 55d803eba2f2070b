package io.pgcdc.connector.config;

import org.apache.flink.annotation.Internal;

/**
 * Schema, table and column names in SQL: always quoted, so that any name (upper case, a reserved
 * word, a space, a quote) means itself.
 */
@Internal
public final class SqlNames {

    private SqlNames() {}

    /** The name as a quoted identifier. */
    public static String quote(String name) {
        return '"' + name.replace("\"", "\"\"") + '"';
    }

    /** {@code "schema"."table"}. */
    public static String qualified(String schema, String table) {
        return quote(schema) + "." + quote(table);
    }
}
