package io.pgcdc.connector.source;

import org.apache.flink.cdc.common.data.RecordData;
import org.apache.flink.cdc.common.event.TableId;
import org.apache.flink.cdc.common.schema.Schema;
import org.apache.flink.cdc.common.types.DataType;
import org.apache.flink.cdc.runtime.typeutils.BinaryRecordDataGenerator;

import io.debezium.relational.Column;
import io.debezium.relational.Table;
import io.pgcdc.connector.types.PostgresTypeMapper;
import io.pgcdc.connector.types.TypeMappingOptions;
import io.pgcdc.connector.types.ValueConverters;
import io.pgcdc.connector.types.ValueConverters.ValueConverter;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;

import java.util.List;

/**
 * Converts the rows of one table from Debezium structs to Flink CDC records laid out by the
 * table's {@link Schema}. Built once per table and reused for every row.
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

    TableRowConverter(TableId tableId, Table table, TypeMappingOptions typeOptions) {
        this.tableId = tableId;
        List<Column> columns = table.columns();
        Schema.Builder builder = Schema.newBuilder();
        this.columnNames = new String[columns.size()];
        this.converters = new ValueConverter[columns.size()];
        DataType[] types = new DataType[columns.size()];
        for (int i = 0; i < columns.size(); i++) {
            Column column = columns.get(i);
            types[i] = PostgresTypeMapper.toDataType(table, column, typeOptions);
            columnNames[i] = column.name();
            converters[i] =
                    ValueConverters.forType(
                            types[i], "column '" + column.name() + "' of table " + tableId);
            builder.physicalColumn(column.name(), types[i], column.comment());
        }
        builder.primaryKey(table.primaryKeyColumnNames());
        this.schema = builder.build();
        this.generator = new BinaryRecordDataGenerator(types);
        this.typeOptions = typeOptions;
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
     * Converts the row after an update. A TOASTed value the update left alone reaches Debezium as
     * a placeholder, never as data: it is taken from the before image when there is one (REPLICA
     * IDENTITY FULL), else handled as {@code toast.unchanged-value.mode} says.
     */
    RecordData convertAfterUpdate(Struct after, Struct before) {
        return convert(after, before == null ? NO_BEFORE_IMAGE : before);
    }

    private static final Struct NO_BEFORE_IMAGE = null;

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
            values[i] = raw == null ? null : converters[i].convert(raw, field.schema());
        }
        return generator.generate(values);
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
            case "null":
                return null;
            case "placeholder":
                return typeOptions.unavailablePlaceholder;
            default:
                throw new IllegalStateException(
                        "An update of table " + tableId + " left the TOASTed value of column '" + field.name()
                                + "' unchanged and the table's REPLICA IDENTITY is not FULL, so the value is not"
                                + " in the change. Run ALTER TABLE " + tableId + " REPLICA IDENTITY FULL (for"
                                + " changes from then on), and set 'toast.unchanged-value.mode' to 'null' or"
                                + " 'placeholder' to get past changes already written.");
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
