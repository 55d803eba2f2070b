package io.pgcdc.connector.config;

import org.apache.flink.annotation.Internal;

/**
 * The schemas that hold no user table: PostgreSQL's catalogs and its TOAST and temporary schemas.
 * Named by exact name or by the prefix PostgreSQL reserves ({@code pg_}); a LIKE pattern would take
 * {@code _} for a wildcard and hide a user's schema such as {@code pgxtoast}.
 */
@Internal
public final class SystemSchemas {

    private SystemSchemas() {}

    /**
     * An SQL condition that holds for a schema name (the column given) outside the system schemas.
     */
    public static String excludedFrom(String schemaColumn) {
        return schemaColumn
                + " NOT IN ('pg_catalog', 'information_schema')"
                + " AND "
                + schemaColumn
                + " !~ '^pg_(toast|temp)'";
    }
}
