package io.pgcdc.connector.fetch;

import org.apache.flink.annotation.Internal;
import org.apache.flink.cdc.debezium.history.FlinkJsonTableChangeSerializer;

import io.debezium.document.DocumentReader;
import io.debezium.document.DocumentWriter;
import io.debezium.relational.Table;
import io.debezium.relational.history.TableChanges.TableChange;
import io.debezium.relational.history.TableChanges.TableChangeType;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A record the stream puts into its queue right after decoding a pgoutput Relation message, ahead
 * of the row changes that follow it: it carries the table as the message describes it, so the
 * emitter can announce a schema change before the first row that has the new shape, and what the
 * catalog says about columns with new names (renamed or added). Queue order is decode order, so it
 * can never overtake a row of the old shape or fall behind one of the new.
 */
@Internal
public final class RelationChangeRecord {

    private static final String SCHEMA_NAME = "io.pgcdc.connector.RelationChange";
    private static final String TABLE_FIELD = "table";
    private static final String RENAMED_FROM_FIELD = "renamed_from";
    private static final String RENAMED_TO_FIELD = "renamed_to";
    private static final String ADDED_FIELD = "added";
    private static final Schema NAMES = SchemaBuilder.array(Schema.STRING_SCHEMA).build();
    private static final Schema VALUE_SCHEMA =
            SchemaBuilder.struct()
                    .name(SCHEMA_NAME)
                    .field(TABLE_FIELD, Schema.STRING_SCHEMA)
                    .field(RENAMED_FROM_FIELD, NAMES)
                    .field(RENAMED_TO_FIELD, NAMES)
                    .field(ADDED_FIELD, NAMES)
                    .build();

    private RelationChangeRecord() {}

    static SourceRecord of(
            Table table, RelationTrackingSchema.ColumnIdentity hints, Map<String, ?> partition) {
        String json;
        try {
            json =
                    DocumentWriter.defaultWriter()
                            .write(
                                    new FlinkJsonTableChangeSerializer()
                                            .toDocument(
                                                    new TableChange(TableChangeType.ALTER, table)));
        } catch (IOException e) {
            throw new IllegalStateException(
                    "Cannot describe table " + table.id() + ": " + e.getMessage(), e);
        }
        return new SourceRecord(
                partition,
                Collections.emptyMap(),
                "pgcdc.relation",
                null,
                null,
                null,
                VALUE_SCHEMA,
                new Struct(VALUE_SCHEMA)
                        .put(TABLE_FIELD, json)
                        .put(RENAMED_FROM_FIELD, new ArrayList<>(hints.renamed.keySet()))
                        .put(RENAMED_TO_FIELD, new ArrayList<>(hints.renamed.values()))
                        .put(ADDED_FIELD, new ArrayList<>(hints.added)));
    }

    /**
     * Columns the catalog says were renamed (they kept their attribute number), old name to new.
     */
    public static Map<String, String> renamedColumns(SourceRecord record) {
        Struct value = (Struct) record.value();
        List<String> from = value.getArray(RENAMED_FROM_FIELD);
        List<String> to = value.getArray(RENAMED_TO_FIELD);
        Map<String, String> renamed = new LinkedHashMap<>();
        for (int i = 0; i < from.size(); i++) {
            renamed.put(from.get(i), to.get(i));
        }
        return renamed;
    }

    /** Columns the catalog says are new (a new attribute number), wherever they stand. */
    public static Set<String> addedColumns(SourceRecord record) {
        return new HashSet<>(((Struct) record.value()).<String>getArray(ADDED_FIELD));
    }

    public static boolean isRelationChange(SourceRecord record) {
        return record.valueSchema() != null && SCHEMA_NAME.equals(record.valueSchema().name());
    }

    /**
     * The table the Relation message described; its id is (schema, table), as the message names it.
     */
    public static Table tableOf(SourceRecord record) {
        String json = ((Struct) record.value()).getString(TABLE_FIELD);
        try {
            return FlinkJsonTableChangeSerializer.fromDocument(
                            DocumentReader.defaultReader().read(json), false)
                    .getTable();
        } catch (IOException e) {
            throw new IllegalStateException("Cannot read a relation change: " + e.getMessage(), e);
        }
    }
}
