package io.pgcdc.connector.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The tables the {@code values} sink holds, rebuilt from what it prints: each event's {@code
 * toString()}, one a line, prefixed {@code "<subtask>> "} at sink parallelism above one; schema
 * changes are printed by every sink subtask. Rows are kept by primary key, as a keyed sink keeps
 * them. Values print as text; strings holding {@code ", "} cannot be told apart, so test data must
 * not hold any.
 */
final class ValuesSinkOutput {

    private static final Pattern SUBTASK = Pattern.compile("^\\d+> ");
    private static final Pattern COLUMN = Pattern.compile("`([^`]+)` ");
    private static final Pattern ADDED =
            Pattern.compile(
                    "ColumnWithPosition\\{column=`([^`]+)` [^}]*?position=(\\w+),"
                            + " existedColumnName=([^}]*)}");

    private final Map<String, List<String>> columns = new HashMap<>();
    private final Map<String, List<String>> keys = new HashMap<>();
    private final Map<String, Map<String, Map<String, String>>> rows = new HashMap<>();
    private final Map<String, Integer> dataEvents = new HashMap<>();
    private final List<String> schemaChanges = new ArrayList<>();

    static ValuesSinkOutput of(List<String> lines) {
        ValuesSinkOutput output = new ValuesSinkOutput();
        // each sink subtask prints the schema changes (broadcast to all) and its own rows after
        // them: rows are read with the columns their subtask knew; rows are changed once
        Map<String, ValuesSinkOutput> bySubtask = new HashMap<>();
        for (String raw : lines) {
            Matcher prefix = SUBTASK.matcher(raw);
            String subtask = prefix.find() ? prefix.group() : "";
            String line = raw.substring(subtask.length());
            ValuesSinkOutput view = bySubtask.computeIfAbsent(subtask, k -> new ValuesSinkOutput());
            if (line.startsWith("DataChangeEvent{")) {
                output.data(line, view);
            } else if (line.matches("^[A-Za-z]+Event\\{tableId=.*")) {
                view.schema(line);
                if (!output.schemaChanges.contains(line)) {
                    output.schema(line);
                    output.schemaChanges.add(line);
                }
            }
        }
        return output;
    }

    /** Tables with a schema. */
    List<String> tables() {
        List<String> tables = new ArrayList<>(columns.keySet());
        Collections.sort(tables);
        return tables;
    }

    List<String> columns(String table) {
        return columns.getOrDefault(table, List.of());
    }

    /** The table's rows by key, each a column-to-value map in column order. */
    Map<String, Map<String, String>> rows(String table) {
        return rows.getOrDefault(table, Map.of());
    }

    int dataEvents(String table) {
        return dataEvents.getOrDefault(table, 0);
    }

    /** The distinct schema change events, in order. */
    List<String> schemaChanges() {
        return schemaChanges;
    }

    private void schema(String line) {
        String table = between(line, "tableId=", ", ");
        if (line.startsWith("CreateTableEvent{")) {
            String columnPart = between(line, "columns={", "}, primaryKeys=");
            List<String> names = new ArrayList<>();
            Matcher m = COLUMN.matcher(columnPart);
            while (m.find()) {
                names.add(m.group(1));
            }
            columns.put(table, names);
            String pk = between(line, "primaryKeys=", ", ");
            keys.put(table, pk.isEmpty() ? List.of() : Arrays.asList(pk.split(";")));
            rows.putIfAbsent(table, new TreeMap<>());
        } else if (line.startsWith("AddColumnEvent{")) {
            List<String> names = new ArrayList<>(columns(table));
            Matcher m = ADDED.matcher(line);
            while (m.find()) {
                String name = m.group(1);
                String position = m.group(2);
                String existing = m.group(3).trim();
                switch (position) {
                    case "FIRST":
                        names.add(0, name);
                        break;
                    case "BEFORE":
                        names.add(names.indexOf(existing), name);
                        break;
                    case "AFTER":
                        names.add(names.indexOf(existing) + 1, name);
                        break;
                    default:
                        names.add(name);
                }
            }
            columns.put(table, names);
        } else if (line.startsWith("DropColumnEvent{")) {
            List<String> names = new ArrayList<>(columns(table));
            for (String dropped : between(line, "droppedColumnNames=[", "]").split(", ")) {
                names.remove(dropped.trim());
            }
            columns.put(table, names);
            for (Map<String, String> row : rows(table).values()) {
                row.keySet().retainAll(names);
            }
        } else if (line.startsWith("RenameColumnEvent{")) {
            List<String> names = new ArrayList<>(columns(table));
            for (String pair : between(line, "nameMapping={", "}").split(", ")) {
                String[] parts = pair.split("=", 2);
                names.set(names.indexOf(parts[0]), parts[1]);
            }
            columns.put(table, names);
            for (Map<String, String> row : rows(table).values()) {
                for (String pair : between(line, "nameMapping={", "}").split(", ")) {
                    String[] parts = pair.split("=", 2);
                    if (row.containsKey(parts[0])) {
                        row.put(parts[1], row.remove(parts[0]));
                    }
                }
            }
        }
    }

    private void data(String line, ValuesSinkOutput view) {
        String table = between(line, "tableId=", ", before=[");
        String before = between(line, "before=[", "], after=[");
        String after = between(line, "], after=[", "], op=");
        String op = between(line, "], op=", ", meta=");
        dataEvents.merge(table, 1, Integer::sum);
        Map<String, Map<String, String>> tableRows =
                rows.computeIfAbsent(table, k -> new TreeMap<>());
        if (op.equals("DELETE")) {
            tableRows.remove(view.key(table, view.row(table, before)));
        } else {
            Map<String, String> row = view.row(table, after);
            tableRows.put(view.key(table, row), row);
        }
    }

    /**
     * The table's rows by key in its final columns: a column added after a row was written holds
     * {@code null} for it, as in a table the sink altered.
     */
    Map<String, Map<String, String>> finalRows(String table) {
        Map<String, Map<String, String>> result = new TreeMap<>();
        for (Map.Entry<String, Map<String, String>> entry : rows(table).entrySet()) {
            Map<String, String> row = new LinkedHashMap<>();
            for (String column : columns(table)) {
                row.put(column, entry.getValue().getOrDefault(column, "null"));
            }
            result.put(entry.getKey(), row);
        }
        return result;
    }

    private Map<String, String> row(String table, String values) {
        List<String> names = columns(table);
        String[] parts = values.isEmpty() ? new String[0] : values.split(", ", -1);
        if (parts.length != names.size()) {
            throw new IllegalStateException(
                    "Row [" + values + "] of " + table + " does not fit its columns " + names);
        }
        Map<String, String> row = new LinkedHashMap<>();
        for (int i = 0; i < parts.length; i++) {
            row.put(names.get(i), parts[i]);
        }
        return row;
    }

    private String key(String table, Map<String, String> row) {
        List<String> key = new ArrayList<>();
        for (String column : keys.getOrDefault(table, List.of())) {
            key.add(row.get(column));
        }
        return key.isEmpty() ? row.toString() : String.join("|", key);
    }

    private static String between(String text, String from, String to) {
        int start = text.indexOf(from);
        if (start < 0) {
            return "";
        }
        start += from.length();
        int end = text.indexOf(to, start);
        return end < 0 ? text.substring(start) : text.substring(start, end);
    }
}
