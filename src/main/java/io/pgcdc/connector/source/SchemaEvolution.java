package io.pgcdc.connector.source;

import org.apache.flink.cdc.common.event.AddColumnEvent;
import org.apache.flink.cdc.common.event.AlterColumnTypeEvent;
import org.apache.flink.cdc.common.event.DropColumnEvent;
import org.apache.flink.cdc.common.event.RenameColumnEvent;
import org.apache.flink.cdc.common.event.SchemaChangeEvent;
import org.apache.flink.cdc.common.event.TableId;
import org.apache.flink.cdc.common.schema.Column;
import org.apache.flink.cdc.common.schema.Schema;
import org.apache.flink.cdc.common.types.DataType;
import org.apache.flink.cdc.common.utils.SchemaUtils;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The schema change events that take a table from the schema downstream knows to the schema a
 * pgoutput Relation message describes, and the schema that results.
 *
 * <p>A Relation message lists a table's columns in order with their types, nothing else; so:
 *
 * <ul>
 *   <li>what the catalog's attribute numbers say about new names comes first (a renamed column
 *       keeps its number, an added one gets a new one); failing that, a column whose name vanished
 *       at the same position where an unknown name of the same type appeared was renamed, not
 *       dropped and re-added (PostgreSQL keeps a renamed column's position);
 *   <li>nullability is not compared: Debezium reads it from the current catalog, not from the
 *       message, so it may come from a later point in time. Kept columns keep the nullability and
 *       comment downstream knows;
 *   <li>the events come in the order rename, drop, add (each positioned after its predecessor),
 *       alter type, each applied to the result of the one before.
 * </ul>
 */
final class SchemaEvolution {

    private final List<SchemaChangeEvent> events;
    private final Schema result;
    private final Map<String, String> renames;

    private SchemaEvolution(
            List<SchemaChangeEvent> events, Schema result, Map<String, String> renames) {
        this.events = events;
        this.result = result;
        this.renames = renames;
    }

    /** Renamed columns, old name to new. */
    Map<String, String> renames() {
        return renames;
    }

    /** The events, in the order to emit them; empty when nothing downstream can see changed. */
    List<SchemaChangeEvent> events() {
        return events;
    }

    /** The schema downstream has after the events. */
    Schema result() {
        return result;
    }

    static SchemaEvolution between(TableId tableId, Schema known, Schema described) {
        return between(tableId, known, described, Collections.emptyMap(), Collections.emptySet());
    }

    /**
     * @param renamed columns the catalog says kept their identity under a new name (old to new)
     * @param addedByCatalog columns the catalog says are new, even where position and type suggest
     *     a rename
     */
    static SchemaEvolution between(
            TableId tableId,
            Schema known,
            Schema described,
            Map<String, String> renamed,
            Set<String> addedByCatalog) {
        List<SchemaChangeEvent> events = new ArrayList<>();
        Schema current = known;

        Map<String, String> renames = renames(known, described, renamed, addedByCatalog);
        if (!renames.isEmpty()) {
            current = apply(current, new RenameColumnEvent(tableId, renames), events);
        }

        Set<String> describedNames = new HashSet<>(described.getColumnNames());
        List<String> dropped = new ArrayList<>();
        for (String name : current.getColumnNames()) {
            if (!describedNames.contains(name)) {
                dropped.add(name);
            }
        }
        if (!dropped.isEmpty()) {
            current = apply(current, new DropColumnEvent(tableId, dropped), events);
        }

        // PostgreSQL appends added columns; LAST says so plainly, AFTER covers anything else
        List<String> running = new ArrayList<>(current.getColumnNames());
        List<AddColumnEvent.ColumnWithPosition> added = new ArrayList<>();
        String previous = null;
        for (Column column : described.getColumns()) {
            if (!running.contains(column.getName())) {
                if (previous == null) {
                    added.add(AddColumnEvent.first(column));
                    running.add(0, column.getName());
                } else if (previous.equals(running.get(running.size() - 1))) {
                    added.add(AddColumnEvent.last(column));
                    running.add(column.getName());
                } else {
                    added.add(AddColumnEvent.after(column, previous));
                    running.add(running.indexOf(previous) + 1, column.getName());
                }
            }
            previous = column.getName();
        }
        if (!added.isEmpty()) {
            current = apply(current, new AddColumnEvent(tableId, added), events);
        }

        Map<String, DataType> newTypes = new LinkedHashMap<>();
        Map<String, DataType> oldTypes = new HashMap<>();
        for (Column column : described.getColumns()) {
            Column before = current.getColumn(column.getName()).orElse(null);
            if (before != null && !sameType(before.getType(), column.getType())) {
                newTypes.put(column.getName(), column.getType());
                oldTypes.put(column.getName(), before.getType());
            }
        }
        if (!newTypes.isEmpty()) {
            current = apply(current, new AlterColumnTypeEvent(tableId, newTypes, oldTypes), events);
        }
        return new SchemaEvolution(
                Collections.unmodifiableList(events),
                current,
                Collections.unmodifiableMap(renames));
    }

    /**
     * What the catalog says first; otherwise same position, both names unknown to the other side,
     * same type: an in-place rename.
     */
    private static Map<String, String> renames(
            Schema known, Schema described, Map<String, String> renamed, Set<String> added) {
        Set<String> knownNames = new HashSet<>(known.getColumnNames());
        Set<String> describedNames = new HashSet<>(described.getColumnNames());
        Map<String, String> renames = new LinkedHashMap<>();
        renamed.forEach(
                (from, to) -> {
                    if (knownNames.contains(from)
                            && !describedNames.contains(from)
                            && describedNames.contains(to)
                            && !knownNames.contains(to)) {
                        renames.put(from, to);
                    }
                });
        int common = Math.min(known.getColumnCount(), described.getColumnCount());
        for (int i = 0; i < common; i++) {
            Column from = known.getColumns().get(i);
            Column to = described.getColumns().get(i);
            if (!describedNames.contains(from.getName())
                    && !knownNames.contains(to.getName())
                    && !added.contains(to.getName())
                    && !renames.containsKey(from.getName())
                    && !renames.containsValue(to.getName())
                    && sameType(from.getType(), to.getType())) {
                renames.put(from.getName(), to.getName());
            }
        }
        return renames;
    }

    private static boolean sameType(DataType a, DataType b) {
        return a.nullable().equals(b.nullable());
    }

    private static Schema apply(
            Schema schema, SchemaChangeEvent event, List<SchemaChangeEvent> events) {
        events.add(event);
        return SchemaUtils.applySchemaChangeEvent(schema, event);
    }
}
