package io.pgcdc.connector.source;

import org.apache.flink.cdc.common.data.RecordData;
import org.apache.flink.cdc.common.event.TableId;
import org.apache.flink.cdc.common.schema.Schema;
import org.apache.flink.cdc.common.types.DataType;
import org.apache.flink.cdc.runtime.typeutils.BinaryRecordDataGenerator;

import io.debezium.relational.Column;
import io.debezium.relational.Table;
import io.pgcdc.connector.config.TypeMappingOptions;
import io.pgcdc.connector.types.PostgresTypeMapper;
import io.pgcdc.connector.types.ValueConverters;
import io.pgcdc.connector.types.ValueConverters.ValueConverter;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;

import java.util.List;

/**
 * Converts the rows of one table from Debezium structs to Flink CDC records laid out by the table's
 * {@link Schema}. Built once per table and reused for every row.
 */
final class TableRowConverter {

    private final TableId tableId;
    private final Schema schema;
    private final String[] columnNames;
    private final ValueConverter[] converters;
    private final BinaryRecordDataGenerator generator;
    private final TypeMappingOptions typeOptions;

    /** Field positions in the last Connect schema seen; Debezium reuses schema objects. */
    private org.apache.kafka.connect.data.Schema lastStructSchema;

    private int[] lastPositions;

    TableRowConverter(TableId tableId, Schema schema, TypeMappingOptions typeOptions) {
        this(tableId, schema, schema.getColumnNames().toArray(new String[0]), typeOptions);
    }

    /**
     * @param fieldNames the name each column has in the database now, which differs from its name
     *     in {@code schema} after a rename downstream was not told of
     */
    private TableRowConverter(
            TableId tableId, Schema schema, String[] fieldNames, TypeMappingOptions typeOptions) {
        this.tableId = tableId;
        this.schema = schema;
        List<org.apache.flink.cdc.common.schema.Column> columns = schema.getColumns();
        this.columnNames = fieldNames;
        this.converters = new ValueConverter[columns.size()];
        DataType[] types = new DataType[columns.size()];
        for (int i = 0; i < columns.size(); i++) {
            types[i] = columns.get(i).getType();
            converters[i] =
                    ValueConverters.forType(
                            types[i], "column '" + columnNames[i] + "' of table " + tableId);
        }
        this.generator = new BinaryRecordDataGenerator(types);
        this.typeOptions = typeOptions;
    }

    /** The announced schema with each column under its current name in the database. */
    Schema currentSchema() {
        List<org.apache.flink.cdc.common.schema.Column> columns = new java.util.ArrayList<>();
        for (int i = 0; i < columnNames.length; i++) {
            columns.add(schema.getColumns().get(i).copy(columnNames[i]));
        }
        return schema.copy(columns);
    }

    /** The same announced schema, reading renamed columns under their new names. */
    TableRowConverter withRenamedFields(java.util.Map<String, String> renames) {
        String[] fields = columnNames.clone();
        for (int i = 0; i < fields.length; i++) {
            fields[i] = renames.getOrDefault(fields[i], fields[i]);
        }
        return new TableRowConverter(tableId, schema, fields, typeOptions);
    }

    /** The Flink CDC schema of a table as Debezium describes it. */
    static Schema schemaOf(Table table, TypeMappingOptions typeOptions) {
        Schema.Builder builder = Schema.newBuilder();
        for (Column column : table.columns()) {
            builder.physicalColumn(
                    column.name(),
                    PostgresTypeMapper.toDataType(table, column, typeOptions),
                    column.comment());
        }
        builder.primaryKey(table.primaryKeyColumnNames());
        return builder.build();
    }

    TableId tableId() {
        return tableId;
    }

    Schema schema() {
        return schema;
    }

    /** Converts a row image; {@code null} stays {@code null} (e.g. no before image). */
    RecordData convert(Struct row) {
        return convert(row, null);
    }

    /**
     * Converts the row after an update. A TOASTed value the update left alone reaches Debezium as a
     * placeholder, never as data: it is taken from the before image when there is one (REPLICA
     * IDENTITY FULL), else handled as {@code toast.unchanged-value.mode} says.
     */
    RecordData convertAfterUpdate(Struct after, Struct before) {
        return convert(after, before);
    }

    private RecordData convert(Struct row, Struct before) {
        if (row == null) {
            return null;
        }
        int[] positions = positionsFor(row.schema());
        List<Field> fields = row.schema().fields();
        Object[] values = new Object[columnNames.length];
        for (int i = 0; i < values.length; i++) {
            int position = positions[i];
            if (position < 0) {
                continue; // column not in this image (e.g. dropped or not yet added)
            }
            Field field = fields.get(position);
            Object raw = row.getWithoutDefault(field.name());
            if (typeOptions.isUnavailablePlaceholder(raw)) {
                raw = unchangedToastValue(field, before);
            }
            values[i] = raw == null ? null : convertValue(i, raw, field);
        }
        return generator.generate(values);
    }

    private Object convertValue(int column, Object raw, Field field) {
        try {
            return converters[column].convert(raw, field.schema());
        } catch (ClassCastException | IllegalArgumentException e) {
            // the column's type changed in the database and downstream was not told
            throw new IllegalStateException(
                    "Column '"
                            + columnNames[column]
                            + "' of table "
                            + tableId
                            + " now holds values of type "
                            + field.schema().type()
                            + (field.schema().name() == null
                                    ? ""
                                    : " (" + field.schema().name() + ")")
                            + " that do not fit its announced type "
                            + schema.getColumns().get(column).getType()
                            + "; its type was changed in the database. Set 'schema-change.enabled'"
                            + " to true to evolve the schema downstream.",
                    e);
        }
    }

    /** The value of an unchanged TOASTed column: from the before image, or per the mode. */
    private Object unchangedToastValue(Field field, Struct before) {
        if (before != null && before.schema().field(field.name()) != null) {
            Object old = before.getWithoutDefault(field.name());
            if (!typeOptions.isUnavailablePlaceholder(old)) {
                return old;
            }
        }
        switch (typeOptions.toastMode) {
            case NULL:
                return null;
            case PLACEHOLDER:
                return typeOptions.unavailablePlaceholder;
            default:
                throw new IllegalStateException(
                        "An update of table "
                                + tableId
                                + " left the TOASTed value of column '"
                                + field.name()
                                + "' unchanged and the table's REPLICA IDENTITY is not FULL, so the"
                                + " value is not in the change. Run ALTER TABLE "
                                + tableId
                                + " REPLICA IDENTITY FULL (for changes from then on), and set"
                                + " 'toast.unchanged-value.mode' to 'null' or 'placeholder' to get"
                                + " past changes already written.");
        }
    }

    private int[] positionsFor(org.apache.kafka.connect.data.Schema structSchema) {
        if (structSchema != lastStructSchema) {
            int[] positions = new int[columnNames.length];
            for (int i = 0; i < columnNames.length; i++) {
                Field field = structSchema.field(columnNames[i]);
                positions[i] = field == null ? -1 : field.index();
            }
            lastPositions = positions;
            lastStructSchema = structSchema;
        }
        return lastPositions;
    }
}
