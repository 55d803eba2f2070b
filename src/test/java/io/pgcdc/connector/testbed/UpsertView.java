package io.pgcdc.connector.testbed;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What a keyed sink holds after the events of one table: {@code +I} and {@code +U} upsert by key
 * (the first column), {@code -D} deletes. Replays after a failure (at-least-once) fold away; lost
 * or wrong rows do not. Compared with the table in the database, rendered the same way.
 */
public final class UpsertView {

    private static final Comparator<String> BY_KEY =
            Comparator.comparingLong(
                            (String k) -> k.matches("-?\\d+") ? Long.parseLong(k) : Long.MAX_VALUE)
                    .thenComparing(Comparator.naturalOrder());

    private UpsertView() {}

    /** The rows left by applying the runs' data lines in order (one list per run of the job). */
    @SafeVarargs
    public static Map<String, String> of(String table, List<String>... runs) {
        Map<String, String> rows = new TreeMap<>(BY_KEY);
        String prefix = " public." + table + "[";
        for (List<String> lines : runs) {
            for (String line : lines) {
                if (!line.startsWith(prefix, 2)) {
                    continue;
                }
                String row = line.substring(2 + prefix.length() - 1);
                String key = key(row);
                switch (line.substring(0, 2)) {
                    case "+I":
                    case "+U":
                        rows.put(key, row);
                        break;
                    case "-D":
                        rows.remove(key);
                        break;
                    default: // -U: the before image
                        break;
                }
            }
        }
        return rows;
    }

    /** The table's rows, {@code [v1, v2, ...]} by the first column, NULL as {@code null}. */
    public static Map<String, String> inDatabase(TestDatabase db, String select) {
        Map<String, String> rows = new TreeMap<>(BY_KEY);
        for (List<String> row : db.query(select)) {
            List<String> values = new ArrayList<>();
            for (String value : row) {
                values.add(Objects.toString(value));
            }
            rows.put(values.get(0), values.toString());
        }
        return rows;
    }

    /** A short account of how two views differ, for assertion messages. */
    public static String difference(Map<String, String> expected, Map<String, String> actual) {
        List<String> missing = new ArrayList<>();
        List<String> extra = new ArrayList<>();
        List<String> wrong = new ArrayList<>();
        expected.forEach(
                (k, v) -> {
                    if (!actual.containsKey(k)) {
                        missing.add(k);
                    } else if (!actual.get(k).equals(v)) {
                        wrong.add(k + ": expected " + v + " got " + actual.get(k));
                    }
                });
        actual.keySet().stream().filter(k -> !expected.containsKey(k)).forEach(extra::add);
        return "missing "
                + missing.size()
                + " "
                + head(missing)
                + ", unexpected "
                + extra.size()
                + " "
                + head(extra)
                + ", different "
                + wrong.size()
                + " "
                + head(wrong);
    }

    private static List<String> head(List<String> items) {
        return items.size() <= 10 ? items : items.subList(0, 10);
    }

    private static String key(String row) {
        int comma = row.indexOf(", ");
        return row.substring(1, comma < 0 ? row.length() - 1 : comma);
    }
}
