package io.pgcdc.connector.testbed;

import org.apache.flink.cdc.common.data.ArrayData;
import org.apache.flink.cdc.common.data.MapData;
import org.apache.flink.cdc.common.data.RecordData;
import org.apache.flink.cdc.common.event.CreateTableEvent;
import org.apache.flink.cdc.common.event.DataChangeEvent;
import org.apache.flink.cdc.common.event.Event;
import org.apache.flink.cdc.common.event.SchemaChangeEvent;
import org.apache.flink.cdc.common.event.TableId;
import org.apache.flink.cdc.common.schema.Schema;
import org.apache.flink.cdc.common.types.ArrayType;
import org.apache.flink.cdc.common.types.DataType;
import org.apache.flink.cdc.common.types.MapType;
import org.apache.flink.cdc.common.utils.SchemaUtils;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders collected events as text, using the schemas of the CreateTableEvents seen so far: {@code
 * +I orders[1, alice]}, {@code -U ...}, {@code +U ...}, {@code -D ...}, {@code CREATE orders(id
 * BIGINT NOT NULL, ...) PK [id]}, {@code SCHEMA AddColumnEvent{...}}; rows are rendered with the
 * schema the events so far give their table.
 */
public final class EventLog {

    private final Map<TableId, Schema> schemas = new HashMap<>();
    private final List<String> lines = new ArrayList<>();
    private final List<String> dataLines = new ArrayList<>();
    private final List<Map<String, String>> metadata = new ArrayList<>();
    private final List<SchemaChangeEvent> schemaChanges = new ArrayList<>();

    /**
     * Per table: its data lines without the table id ({@code +I [1, x]}), and its schema changes.
     */
    private final Map<TableId, List<String>> dataByTable = new HashMap<>();

    private final Map<TableId, List<SchemaChangeEvent>> schemaChangesByTable = new HashMap<>();
    private final Map<TableId, Integer> creates = new HashMap<>();
    private final List<String> conflictingCreates = new ArrayList<>();

    public synchronized void add(Event event) {
        if (event instanceof CreateTableEvent) {
            CreateTableEvent create = (CreateTableEvent) event;
            Schema known = schemas.put(create.tableId(), create.getSchema());
            if (known != null && !known.equals(create.getSchema())) {
                conflictingCreates.add(
                        create.tableId() + ": " + known + " then " + create.getSchema());
            }
            creates.merge(create.tableId(), 1, Integer::sum);
            lines.add("CREATE " + create.tableId() + " " + create.getSchema());
        } else if (event instanceof DataChangeEvent) {
            DataChangeEvent change = (DataChangeEvent) event;
            Schema schema = schemas.get(change.tableId());
            if (schema == null) {
                throw new AssertionError("Data event before CreateTableEvent: " + change);
            }
            String table = change.tableId().toString();
            List<String> rendered = new ArrayList<>();
            switch (change.op()) {
                case INSERT:
                case REPLACE:
                    rendered.add("+I " + table + render(schema, change.after()));
                    break;
                case UPDATE:
                    rendered.add("-U " + table + render(schema, change.before()));
                    rendered.add("+U " + table + render(schema, change.after()));
                    break;
                case DELETE:
                    rendered.add("-D " + table + render(schema, change.before()));
                    break;
            }
            lines.addAll(rendered);
            dataLines.addAll(rendered);
            List<String> ofTable =
                    dataByTable.computeIfAbsent(change.tableId(), k -> new ArrayList<>());
            for (String line : rendered) {
                ofTable.add(line.substring(0, 3) + line.substring(3 + table.length()));
            }
            metadata.add(new java.util.TreeMap<>(change.meta()));
        } else if (event instanceof SchemaChangeEvent) {
            SchemaChangeEvent change = (SchemaChangeEvent) event;
            Schema schema = schemas.get(change.tableId());
            if (schema == null) {
                throw new AssertionError("Schema change before CreateTableEvent: " + change);
            }
            schemas.put(change.tableId(), SchemaUtils.applySchemaChangeEvent(schema, change));
            lines.add("SCHEMA " + change);
            schemaChanges.add(change);
            schemaChangesByTable
                    .computeIfAbsent(change.tableId(), k -> new ArrayList<>())
                    .add(change);
        } else {
            lines.add("OTHER " + event);
        }
    }

    public synchronized List<String> lines() {
        return new ArrayList<>(lines);
    }

    public synchronized List<String> dataLines() {
        return new ArrayList<>(dataLines);
    }

    /** The metadata of each data change event, in arrival order (one entry per event). */
    public synchronized List<Map<String, String>> metadata() {
        return new ArrayList<>(metadata);
    }

    /** Schema change events other than CreateTableEvent, in arrival order. */
    public synchronized List<SchemaChangeEvent> schemaChanges() {
        return new ArrayList<>(schemaChanges);
    }

    /** The schema of a table after every event seen so far. */
    public synchronized Schema schema(TableId tableId) {
        return schemas.get(tableId);
    }

    /** The tables that had events, in no order. */
    public synchronized java.util.Set<TableId> tables() {
        java.util.Set<TableId> tables = new java.util.HashSet<>(schemas.keySet());
        tables.addAll(dataByTable.keySet());
        return tables;
    }

    /** A table's data lines, {@code +I [1, x]}, in arrival order. */
    public synchronized List<String> dataLines(TableId table) {
        return new ArrayList<>(dataByTable.getOrDefault(table, new ArrayList<>()));
    }

    /** A table's schema change events (not CreateTableEvents), in arrival order. */
    public synchronized List<SchemaChangeEvent> schemaChanges(TableId table) {
        return new ArrayList<>(schemaChangesByTable.getOrDefault(table, new ArrayList<>()));
    }

    /** How many CreateTableEvents the table had. */
    public synchronized int creates(TableId table) {
        return creates.getOrDefault(table, 0);
    }

    /** CreateTableEvents that announced a known table with another schema than the one it had. */
    public synchronized List<String> conflictingCreates() {
        return new ArrayList<>(conflictingCreates);
    }

    public synchronized int dataCount() {
        return dataLines.size();
    }

    public static String render(Schema schema, RecordData row) {
        if (row == null) {
            return "null";
        }
        List<DataType> types = schema.getColumnDataTypes();
        Object[] values = new Object[types.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] =
                    renderValue(
                            types.get(i),
                            RecordData.createFieldGetter(types.get(i), i).getFieldOrNull(row));
        }
        return Arrays.toString(values);
    }

    private static Object renderValue(DataType type, Object value) {
        if (value == null) {
            return null;
        }
        if (value instanceof byte[]) {
            StringBuilder hex = new StringBuilder("\\x");
            for (byte b : (byte[]) value) {
                hex.append(String.format("%02x", b));
            }
            return hex.toString();
        }
        if (value instanceof ArrayData) {
            DataType element = ((ArrayType) type).getElementType();
            ArrayData array = (ArrayData) value;
            ArrayData.ElementGetter getter = ArrayData.createElementGetter(element);
            Object[] items = new Object[array.size()];
            for (int i = 0; i < items.length; i++) {
                items[i] = renderValue(element, getter.getElementOrNull(array, i));
            }
            return Arrays.toString(items);
        }
        if (value instanceof MapData) {
            MapType mapType = (MapType) type;
            MapData map = (MapData) value;
            ArrayData keys = map.keyArray();
            ArrayData values = map.valueArray();
            ArrayData.ElementGetter keyGetter = ArrayData.createElementGetter(mapType.getKeyType());
            ArrayData.ElementGetter valueGetter =
                    ArrayData.createElementGetter(mapType.getValueType());
            java.util.TreeMap<String, Object> sorted = new java.util.TreeMap<>();
            for (int i = 0; i < map.size(); i++) {
                sorted.put(
                        String.valueOf(
                                renderValue(
                                        mapType.getKeyType(), keyGetter.getElementOrNull(keys, i))),
                        renderValue(
                                mapType.getValueType(), valueGetter.getElementOrNull(values, i)));
            }
            return sorted.toString();
        }
        return value.toString();
    }
}
