package io.pgcdc.connector.source;

import org.apache.flink.annotation.Internal;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.cdc.common.data.RecordData;
import org.apache.flink.cdc.common.event.CreateTableEvent;
import org.apache.flink.cdc.common.event.DataChangeEvent;
import org.apache.flink.cdc.common.event.Event;
import org.apache.flink.cdc.common.event.SchemaChangeEvent;
import org.apache.flink.cdc.common.event.TableId;
import org.apache.flink.cdc.debezium.DebeziumDeserializationSchema;
import org.apache.flink.cdc.runtime.typeutils.EventTypeInfo;
import org.apache.flink.util.Collector;

import io.debezium.data.Envelope;
import io.debezium.relational.Table;
import io.pgcdc.connector.config.MetadataColumns;
import io.pgcdc.connector.config.TableIds;
import io.pgcdc.connector.config.TypeMappingOptions;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

import javax.annotation.concurrent.NotThreadSafe;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns Debezium change records into Flink CDC {@link DataChangeEvent}s. A table must be {@link
 * #register registered} (which yields its {@link CreateTableEvent}) before its first row; the
 * record emitter does that from the schemas the split carries.
 *
 * <p>Threading: the task thread (the record emitter); one instance per reader.
 */
@NotThreadSafe
@Internal
public class PostgresEventDeserializer implements DebeziumDeserializationSchema<Event> {

    private static final long serialVersionUID = 1L;

    private final String database;
    private final boolean tableIdIncludesDatabase;
    private final List<String> metadataColumns;
    private final TypeMappingOptions typeOptions;
    private final boolean schemaChangeEnabled;

    /** Converters of the tables this reader has announced; per instance, never shared. */
    private transient Map<io.debezium.relational.TableId, TableRowConverter> tables;

    public PostgresEventDeserializer(
            String database,
            boolean tableIdIncludesDatabase,
            List<String> metadataColumns,
            TypeMappingOptions typeOptions,
            boolean schemaChangeEnabled) {
        this.database = database;
        this.schemaChangeEnabled = schemaChangeEnabled;
        this.tableIdIncludesDatabase = tableIdIncludesDatabase;
        this.metadataColumns = metadataColumns;
        this.typeOptions = typeOptions;
    }

    private Map<io.debezium.relational.TableId, TableRowConverter> tables() {
        if (tables == null) {
            tables = new HashMap<>();
        }
        return tables;
    }

    /** The Flink CDC id of a PostgreSQL table. */
    public TableId toTableId(String schema, String table) {
        return tableIdIncludesDatabase
                ? TableId.tableId(database, schema, table)
                : TableId.tableId(schema, table);
    }

    /** Debezium ids from splits may or may not carry the catalog; we key on schema and table. */
    static io.debezium.relational.TableId key(io.debezium.relational.TableId id) {
        return TableIds.withoutCatalog(id);
    }

    public boolean isRegistered(io.debezium.relational.TableId id) {
        return tables().containsKey(key(id));
    }

    /**
     * Prepares the converter of a table and returns the event that announces its schema. The id is
     * passed separately: the id inside a split's table schema may be shaped differently.
     */
    public CreateTableEvent register(io.debezium.relational.TableId tableId, Table table) {
        io.debezium.relational.TableId id = key(tableId);
        TableRowConverter converter =
                new TableRowConverter(
                        toTableId(id.schema(), id.table()),
                        TableRowConverter.schemaOf(table, typeOptions),
                        typeOptions);
        tables().put(id, converter);
        return new CreateTableEvent(converter.tableId(), converter.schema());
    }

    /**
     * Takes a registered table to the shape a Relation message described: returns the events that
     * tell downstream (none if nothing it sees changed) and, when there are any, the description to
     * keep in the split state, adjusted so that it announces exactly the schema downstream now has.
     * With schema changes disabled nothing is announced and rows keep the announced layout.
     */
    public Evolution evolve(
            io.debezium.relational.TableId tableId,
            Table described,
            Map<String, String> renamed,
            java.util.Set<String> added) {
        io.debezium.relational.TableId id = key(tableId);
        TableRowConverter converter = tables().get(id);
        if (converter == null) {
            throw new IllegalStateException(
                    "Table " + id + " must be announced before its schema can change");
        }
        org.apache.flink.cdc.common.schema.Schema describedSchema =
                TableRowConverter.schemaOf(described, typeOptions);
        if (!schemaChangeEnabled) {
            // downstream keeps the announced schema; following renames keeps a renamed column's
            // values
            SchemaEvolution evolution =
                    SchemaEvolution.between(
                            converter.tableId(),
                            converter.currentSchema(),
                            describedSchema,
                            renamed,
                            added);
            if (!evolution.renames().isEmpty()) {
                tables().put(id, converter.withRenamedFields(evolution.renames()));
            }
            return new Evolution(java.util.Collections.emptyList(), null);
        }
        SchemaEvolution evolution =
                SchemaEvolution.between(
                        converter.tableId(), converter.schema(), describedSchema, renamed, added);
        if (evolution.events().isEmpty()) {
            return new Evolution(evolution.events(), null);
        }
        tables().put(
                        id,
                        new TableRowConverter(
                                converter.tableId(), evolution.result(), typeOptions));
        return new Evolution(evolution.events(), adjusted(described, evolution.result()));
    }

    /** Kept columns keep the nullability and comment downstream knows (see SchemaEvolution). */
    private static Table adjusted(
            Table described, org.apache.flink.cdc.common.schema.Schema result) {
        io.debezium.relational.TableEditor editor = described.edit();
        for (io.debezium.relational.Column column : described.columns()) {
            result.getColumn(column.name())
                    .ifPresent(
                            known ->
                                    editor.addColumn(
                                            column.edit()
                                                    .optional(known.getType().isNullable())
                                                    .comment(known.getComment())
                                                    .create()));
        }
        return editor.create();
    }

    /** Schema change events and the table description that goes with them. */
    public static final class Evolution {
        private final List<SchemaChangeEvent> events;
        private final Table table;

        Evolution(List<SchemaChangeEvent> events, Table table) {
            this.events = events;
            this.table = table;
        }

        public List<SchemaChangeEvent> events() {
            return events;
        }

        /** The description to keep; {@code null} when there are no events. */
        public Table table() {
            return table;
        }
    }

    /** The Debezium id of the table a data change record belongs to. */
    public static io.debezium.relational.TableId tableOf(SourceRecord record) {
        Struct source = ((Struct) record.value()).getStruct(Envelope.FieldName.SOURCE);
        return new io.debezium.relational.TableId(
                null, source.getString("schema"), source.getString("table"));
    }

    @Override
    public void deserialize(SourceRecord record, Collector<Event> out) {
        io.debezium.relational.TableId id = tableOf(record);
        TableRowConverter converter = tables().get(id);
        if (converter == null) {
            throw new IllegalStateException(
                    "Row of table " + id + " arrived before the table's schema was announced");
        }
        Envelope.Operation op = Envelope.operationFor(record);
        if (op == null) {
            return;
        }
        Struct value = (Struct) record.value();
        Map<String, String> meta = metadata(id, value, op);
        switch (op) {
            case READ:
            case CREATE:
                out.collect(
                        DataChangeEvent.insertEvent(
                                converter.tableId(),
                                converter.convert(value.getStruct(Envelope.FieldName.AFTER)),
                                meta));
                break;
            case UPDATE:
                RecordData after =
                        converter.convertAfterUpdate(
                                value.getStruct(Envelope.FieldName.AFTER),
                                value.getStruct(Envelope.FieldName.BEFORE));
                out.collect(
                        DataChangeEvent.updateEvent(
                                converter.tableId(),
                                beforeImage(converter, record, value, after),
                                after,
                                meta));
                break;
            case DELETE:
                out.collect(
                        DataChangeEvent.deleteEvent(
                                converter.tableId(),
                                converter.convert(value.getStruct(Envelope.FieldName.BEFORE)),
                                meta));
                break;
            default:
                // TRUNCATE and logical decoding messages carry no rows.
                break;
        }
    }

    /**
     * The row before an update. Without {@code REPLICA IDENTITY FULL} PostgreSQL sends none; then
     * the key columns (from the record key, other columns null) stand for it, which is what sinks
     * keyed by the primary key need. Flink CDC cannot carry an update without a before image.
     */
    private static RecordData beforeImage(
            TableRowConverter converter, SourceRecord record, Struct value, RecordData after) {
        Struct before = value.getStruct(Envelope.FieldName.BEFORE);
        if (before != null) {
            return converter.convert(before);
        }
        return record.key() instanceof Struct ? converter.convert((Struct) record.key()) : after;
    }

    private Map<String, String> metadata(
            io.debezium.relational.TableId id, Struct value, Envelope.Operation op) {
        if (metadataColumns.isEmpty()) {
            return new HashMap<>(0);
        }
        Map<String, String> meta = new HashMap<>(metadataColumns.size() * 2);
        for (String column : metadataColumns) {
            switch (column) {
                case MetadataColumns.OP_TS:
                    long ts = 0L; // snapshot rows have no commit time
                    if (op != Envelope.Operation.READ) {
                        Struct source = value.getStruct(Envelope.FieldName.SOURCE);
                        Long sourceTs = source.getInt64("ts_ms");
                        ts = sourceTs == null ? 0L : sourceTs;
                    }
                    meta.put(column, Long.toString(ts));
                    break;
                case MetadataColumns.TABLE_NAME:
                    meta.put(column, id.table());
                    break;
                case MetadataColumns.SCHEMA_NAME:
                    meta.put(column, id.schema());
                    break;
                case MetadataColumns.DATABASE_NAME:
                    meta.put(column, database);
                    break;
                case MetadataColumns.ROW_KIND:
                    meta.put(
                            column,
                            op == Envelope.Operation.DELETE
                                    ? "-D"
                                    : op == Envelope.Operation.UPDATE ? "+U" : "+I");
                    break;
                default:
                    break;
            }
        }
        return meta;
    }

    @Override
    public TypeInformation<Event> getProducedType() {
        return new EventTypeInfo();
    }
}
