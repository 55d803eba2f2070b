package io.pgcdc.connector.config;

import org.apache.flink.annotation.Internal;

import io.debezium.relational.TableId;

/**
 * Debezium table ids keyed by schema and table only. Ids read from the catalog carry the database
 * as catalog, ids from Relation messages and from some split states do not; within one job's
 * database the catalog tells nothing apart.
 */
@Internal
public final class TableIds {

    private TableIds() {}

    /** The id without its catalog. */
    public static TableId withoutCatalog(TableId id) {
        return id.catalog() == null ? id : new TableId(null, id.schema(), id.table());
    }

    /** Whether both ids name the same schema and table, whatever their catalogs. */
    public static boolean sameTable(TableId a, TableId b) {
        return a.table().equals(b.table()) && java.util.Objects.equals(a.schema(), b.schema());
    }
}
