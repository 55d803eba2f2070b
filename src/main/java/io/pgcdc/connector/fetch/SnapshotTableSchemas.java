package io.pgcdc.connector.fetch;

import io.debezium.connector.postgresql.PostgresConnectorConfig;
import io.debezium.connector.postgresql.PostgresObjectUtils;
import io.debezium.connector.postgresql.PostgresSchema;
import io.debezium.connector.postgresql.PostgresTopicSelector;
import io.debezium.connector.postgresql.PostgresValueConverter;
import io.debezium.connector.postgresql.TypeRegistry;
import io.debezium.connector.postgresql.connection.PostgresConnection;
import io.debezium.relational.Table;
import io.debezium.relational.TableId;
import io.debezium.relational.TableSchema;
import io.debezium.schema.TopicSelector;

import javax.annotation.concurrent.ThreadSafe;

import java.util.HashMap;
import java.util.Map;

/**
 * Debezium's row schemas (key, value and envelope structs) of the tables one reader snapshots,
 * built from the table definition each split carries — the definition the enumerator read once and
 * the emitter announces downstream — and kept while that definition stays the same. No catalog
 * query.
 *
 * <p>Threading: shared by a reader's snapshot splits, whose producer threads may overlap while one
 * split ends and the next starts; both methods synchronize.
 */
@ThreadSafe
final class SnapshotTableSchemas {

    private final PostgresConnectorConfig connectorConfig;
    private final TopicSelector<TableId> topicSelector;
    private final Map<TableId, Table> built = new HashMap<>();
    private final Map<TableId, String> topics = new HashMap<>();
    private SplitTables schemas;

    SnapshotTableSchemas(PostgresConnectorConfig connectorConfig) {
        this.connectorConfig = connectorConfig;
        this.topicSelector = PostgresTopicSelector.create(connectorConfig);
    }

    /**
     * The row schema of the table as the split defines it. The value converters use the type
     * registry of the connection that reads the rows (type oids do not change under it).
     */
    synchronized TableSchema schemaFor(Table table, PostgresConnection connection) {
        if (schemas == null) {
            TypeRegistry types = connection.getTypeRegistry();
            PostgresValueConverter converter =
                    PostgresObjectUtils.newPostgresValueConverterBuilder(connectorConfig)
                            .build(types);
            schemas = new SplitTables(connectorConfig, connection, topicSelector, converter);
        }
        if (!connectorConfig.getTableFilters().dataCollectionFilter().isIncluded(table.id())) {
            throw new IllegalStateException(
                    "Table "
                            + table.id()
                            + " is not among the captured tables ('tables' option: "
                            + connectorConfig.getConfig().getString("table.include.list")
                            + "); cannot read its split");
        }
        if (!table.equals(built.get(table.id()))) {
            schemas.refresh(table);
            built.put(table.id(), table);
        }
        TableSchema schema = schemas.schemaFor(table.id());
        if (schema == null) {
            throw new IllegalStateException(
                    "Table "
                            + table.id()
                            + " is not among the captured tables ('tables' option); cannot read its"
                            + " split");
        }
        return schema;
    }

    /** The Debezium topic name of a table; its records carry it (Flink CDC does not use it). */
    synchronized String topicFor(TableId table) {
        return topics.computeIfAbsent(table, topicSelector::topicNameFor);
    }

    /**
     * A schema with no table loaded, for a snapshot split's Debezium context: its rows are read
     * with {@link #schemaFor}, and a backfill replay loads the catalog itself when it starts.
     */
    static PostgresSchema unloaded(
            PostgresConnectorConfig config,
            PostgresConnection connection,
            TopicSelector<TableId> topicSelector,
            PostgresValueConverter valueConverter) {
        return new SplitTables(config, connection, topicSelector, valueConverter);
    }

    /**
     * A {@link PostgresSchema} that is never loaded from the catalog: tables are given to it (by a
     * split, or by a backfill replay's Relation messages, whose names are read right first).
     */
    private static final class SplitTables extends PostgresSchema {
        private final PostgresConnection catalog;

        SplitTables(
                PostgresConnectorConfig config,
                PostgresConnection catalog,
                TopicSelector<TableId> topicSelector,
                PostgresValueConverter valueConverter) {
            super(
                    config,
                    catalog.getTypeRegistry(),
                    catalog.getDefaultValueConverter(),
                    topicSelector,
                    valueConverter);
            this.catalog = catalog;
        }

        @Override
        public void applySchemaChangesForTable(int relationId, Table table) {
            super.applySchemaChangesForTable(
                    relationId, RelationNames.repaired(table, relationId, catalog));
        }
    }
}
