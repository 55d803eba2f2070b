package io.pgcdc.connector.fetch;

import io.debezium.connector.postgresql.PostgresConnectorConfig;
import io.debezium.connector.postgresql.PostgresSchema;
import io.debezium.connector.postgresql.PostgresValueConverter;
import io.debezium.connector.postgresql.TypeRegistry;
import io.debezium.connector.postgresql.connection.PostgresConnection;
import io.debezium.relational.Column;
import io.debezium.relational.Table;
import io.debezium.relational.TableId;
import io.debezium.schema.TopicSelector;
import io.pgcdc.connector.config.TableIds;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.annotation.concurrent.NotThreadSafe;

import java.sql.SQLException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The stream's Debezium schema. Debezium applies every pgoutput Relation message to it before the
 * rows that follow; this one also hands each captured table's new description to a listener (which
 * queues a {@link RelationChangeRecord}), once per distinct description.
 *
 * <p>A Relation message names columns but not their identity, so a column dropped and another added
 * in its place look like a rename. The catalog tells them apart: a renamed column keeps its
 * attribute number, an added one gets a new number. This schema remembers each captured table's
 * numbers and passes what they say along with the description. The catalog is read as a change is
 * decoded, not as of the change: a column renamed or dropped again since, or changed before the
 * stream first saw the table, tells nothing, and position decides.
 *
 * <p>Threading: the stream split's producer thread (Debezium's streaming loop) only, which also
 * runs the listener.
 */
@NotThreadSafe
final class RelationTrackingSchema extends PostgresSchema {

    private static final Logger LOG = LoggerFactory.getLogger(RelationTrackingSchema.class);

    private final PostgresConnection catalog;
    private final Map<TableId, Table> announced = new HashMap<>();

    /** Attribute numbers by column name, per captured table (schema and name), as last seen. */
    private final Map<TableId, Map<String, Integer>> attributeNumbers = new HashMap<>();

    private RelationListener listener = (table, hints) -> {};

    /** Receives a table's new description and what the catalog says about its columns. */
    interface RelationListener {
        void onRelation(Table table, ColumnIdentity hints);
    }

    private RelationTrackingSchema(
            PostgresConnectorConfig config,
            TypeRegistry typeRegistry,
            PostgresConnection connection,
            TopicSelector<TableId> topicSelector,
            PostgresValueConverter valueConverter) {
        super(
                config,
                typeRegistry,
                connection.getDefaultValueConverter(),
                topicSelector,
                valueConverter);
        this.catalog = connection;
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
                        config,
                        connection.getTypeRegistry(),
                        connection,
                        topicSelector,
                        valueConverter);
        schema.refresh(connection, false);
        schema.seedAttributeNumbers();
        return schema;
    }

    /** The attribute numbers of every captured table, in one catalog query. */
    private void seedAttributeNumbers() throws SQLException {
        Set<TableId> captured = new HashSet<>();
        for (TableId table : tableIds()) {
            captured.add(key(table));
        }
        attributeNumbers.putAll(TableAttributes.of(catalog.connection(), captured));
    }

    void onRelation(RelationListener listener) {
        this.listener = listener;
    }

    @Override
    public void applySchemaChangesForTable(int relationId, Table described) {
        Table table = RelationNames.repaired(described, relationId, catalog);
        super.applySchemaChangesForTable(relationId, table);
        if (tableFor(relationId) == null) {
            return; // not captured
        }
        if (table.equals(announced.put(table.id(), table))) {
            return;
        }
        ColumnIdentity hints = ColumnIdentity.NONE;
        try {
            Map<String, Integer> now = TableAttributes.of(catalog.connection(), relationId);
            Map<String, Integer> before = attributeNumbers.put(key(table.id()), now);
            hints = ColumnIdentity.of(table, before, now);
        } catch (SQLException e) {
            LOG.warn(
                    "Cannot read the attribute numbers of {}; telling renames by position: {}",
                    table.id(),
                    e.getMessage());
        }
        listener.onRelation(table, hints);
    }

    /** Catalog-read ids carry the database, Relation messages do not. */
    private static TableId key(TableId id) {
        return TableIds.withoutCatalog(id);
    }

    /** What attribute numbers say about a description's columns that have new names. */
    static final class ColumnIdentity {
        static final ColumnIdentity NONE =
                new ColumnIdentity(new LinkedHashMap<>(), new HashSet<>());

        /** Old name to new name, for columns that kept their number. */
        final Map<String, String> renamed;

        /** Columns whose number is new: added, whatever their position. */
        final Set<String> added;

        private ColumnIdentity(Map<String, String> renamed, Set<String> added) {
            this.renamed = renamed;
            this.added = added;
        }

        static ColumnIdentity of(
                Table table, Map<String, Integer> before, Map<String, Integer> now) {
            if (before == null) {
                return NONE;
            }
            Map<Integer, String> nameBefore = new HashMap<>();
            before.forEach((name, number) -> nameBefore.put(number, name));
            Map<String, String> renamed = new LinkedHashMap<>();
            Set<String> added = new HashSet<>();
            for (Column column : table.columns()) {
                Integer number = now.get(column.name());
                if (number == null || before.containsKey(column.name())) {
                    continue; // unknown now (changed again since), or not a new name
                }
                String old = nameBefore.get(number);
                if (old == null) {
                    added.add(column.name());
                } else if (table.columnWithName(old) == null) {
                    renamed.put(old, column.name());
                }
            }
            return new ColumnIdentity(renamed, added);
        }
    }
}
