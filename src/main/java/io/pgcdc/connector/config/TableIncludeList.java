package io.pgcdc.connector.config;

import org.apache.flink.annotation.Internal;

import java.util.Collection;
import java.util.StringJoiner;

/**
 * Debezium's {@code table.include.list} for tables known by their exact names. Debezium splits the
 * list on commas and compiles each entry as a case-insensitive regular expression of {@code
 * schema.table}: an entry must escape the regex's special characters, commas and the dot between
 * the parts, spell out white space (Debezium trims entries) and switch case-insensitivity off, or
 * {@code orders} also captured {@code Orders}, {@code a(b} failed to compile, {@code a,b} became
 * two entries and {@code trail } was lost.
 */
@Internal
public final class TableIncludeList {

    private TableIncludeList() {}

    /** The entry matching exactly the table {@code schema.table}. */
    public static String exact(String schema, String table) {
        return "(?-i)" + quote(schema) + "\\." + quote(table);
    }

    /** The list of entries matching exactly the given tables, each a {schema, table} pair. */
    public static String exactly(Collection<String[]> tables) {
        StringJoiner list = new StringJoiner(",");
        for (String[] table : tables) {
            list.add(exact(table[0], table[1]));
        }
        return list.toString();
    }

    private static String quote(String name) {
        StringBuilder quoted = new StringBuilder(name.length() + 8);
        for (char c : name.toCharArray()) {
            if (c <= ' ' || Character.isWhitespace(c)) {
                // Debezium trims each entry: a table named "trail " was silently not captured
                quoted.append(String.format("\\x{%x}", (int) c));
                continue;
            }
            if ("\\.[]{}()<>*+-=!?^$|,#&~".indexOf(c) >= 0) {
                quoted.append('\\');
            }
            quoted.append(c);
        }
        return quoted.toString();
    }
}
