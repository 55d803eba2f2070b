package io.pgcdc.connector.fetch;

import io.debezium.connector.postgresql.PostgresConnectorConfig;
import io.debezium.connector.postgresql.PostgresSchema;
import io.debezium.connector.postgresql.PostgresValueConverter;
import io.debezium.connector.postgresql.TypeRegistry;
import io.debezium.connector.postgresql.connection.PostgresConnection;
import io.debezium.relational.Column;
import io.debezium.relational.Table;
import io.debezium.relational.TableId;
import io.debezium.relational.history.TableChanges.TableChange;
import io.debezium.schema.TopicSelector;
import io.pgcdc.connector.config.TableIds;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.annotation.concurrent.NotThreadSafe;

import java.sql.SQLException;
import java.util.Collection;
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

    /** Set once {@link #load} has set the schema up: later whole-schema refreshes are redundant. */
    private boolean loaded;

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

    /**
     * The schema the stream starts with: the table definitions its split carries (what the snapshot
     * read, kept current by the emitter since), or, for a split that carries none (a stream-only
     * start), the catalog's. Either way every table's first change in the session arrives after a
     * Relation message that describes it anew.
     */
    static RelationTrackingSchema load(
            PostgresConnection connection,
            PostgresConnectorConfig config,
            TopicSelector<TableId> topicSelector,
            PostgresValueConverter valueConverter,
            Collection<TableChange> known)
            throws SQLException {
        RelationTrackingSchema schema =
                new RelationTrackingSchema(
                        config,
                        connection.getTypeRegistry(),
                        connection,
                        topicSelector,
                        valueConverter);
        if (known.isEmpty()) {
            schema.refresh(connection, false);
        } else {
            // no catalog pass: at 1,000 tables one costs about 2,000 statements and seconds
            for (TableChange change : known) {
                schema.register(change.getTable());
            }
        }
        schema.seedAttributeNumbers();
        schema.loaded = true;
        return schema;
    }

    /**
     * Keeps what {@link #load} set up. Debezium's streaming start refreshes the whole schema again
     * (plus a replica-identity query per table) moments after the load, while the stream is already
     * open: at 1,000 tables that is about 2,000 statements before the first change is decoded. From
     * then on Relation messages keep each table current.
     */
    @Override
    protected PostgresSchema refresh(
            PostgresConnection connection, boolean printReplicaIdentityInfo) throws SQLException {
        if (loaded) {
            return this;
        }
        return super.refresh(connection, printReplicaIdentityInfo);
    }

    /**
     * Adds a table definition a split carries. The split's state spells a table id as {@code
     * schema.table} and reads it back as {@code catalog.table}; the schema keys it as Relation
     * messages do, by schema and table. A definition whose id does not name a captured table is
     * left to the table's Relation message.
     */
    private void register(Table table) {
        TableId id = table.id();
        TableId captured =
                id.schema() == null ? new TableId(null, id.catalog(), id.table()) : key(id);
        if (getTableFilter().isIncluded(captured)) {
            refresh(table.edit().tableId(captured).create());
        }
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
