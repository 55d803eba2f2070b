package io.pgcdc.connector.fetch;

import io.debezium.connector.postgresql.PostgresConnectorConfig;
import io.debezium.connector.postgresql.PostgresSchema;
import io.debezium.connector.postgresql.PostgresValueConverter;
import io.debezium.connector.postgresql.TypeRegistry;
import io.debezium.connector.postgresql.connection.PostgresConnection;
import io.debezium.relational.Table;
import io.debezium.relational.TableId;
import io.debezium.schema.TopicSelector;

import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The stream's Debezium schema. Debezium applies every pgoutput Relation message to it before the
 * rows that follow; this one also hands each captured table's new description to a listener
 * (which queues a {@link RelationChangeRecord}), once per distinct description.
 */
final class RelationTrackingSchema extends PostgresSchema {

    private final Map<TableId, Table> announced = new HashMap<>();
    private Consumer<Table> listener = table -> {};

    private RelationTrackingSchema(
            PostgresConnectorConfig config,
            TypeRegistry typeRegistry,
            PostgresConnection connection,
            TopicSelector<TableId> topicSelector,
            PostgresValueConverter valueConverter) {
        super(config, typeRegistry, connection.getDefaultValueConverter(), topicSelector, valueConverter);
    }

    /** A schema loaded from the catalog, as the stream starts. */
    static RelationTrackingSchema load(
            PostgresConnection connection,
            PostgresConnectorConfig config,
            TopicSelector<TableId> topicSelector,
            PostgresValueConverter valueConverter)
            throws SQLException {
        RelationTrackingSchema schema =
                new RelationTrackingSchema(
                        config, connection.getTypeRegistry(), connection, topicSelector, valueConverter);
        schema.refresh(connection, false);
        return schema;
    }

    void onRelation(Consumer<Table> listener) {
        this.listener = listener;
    }

    @Override
    public void applySchemaChangesForTable(int relationId, Table table) {
        super.applySchemaChangesForTable(relationId, table);
        if (tableFor(relationId) == null) {
            return; // not captured
        }
        if (!table.equals(announced.put(table.id(), table))) {
            listener.accept(table);
        }
    }
}
