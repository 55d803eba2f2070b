package io.pgcdc.connector.config;

import org.apache.flink.annotation.Internal;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * One {@code db.schema.table} entry of the {@code tables} option. Each part is a regular
 * expression; an unescaped {@code .} separates the parts and {@code \.} stands for the regex dot.
 */
@Internal
public final class TablePattern implements Serializable {

    private static final long serialVersionUID = 1L;

    private final String text;
    private final String database;
    private final String schemaRegex;
    private final String tableRegex;
    private transient Pattern schemaPattern;
    private transient Pattern tablePattern;

    private TablePattern(String text, String database, String schemaRegex, String tableRegex) {
        this.text = text;
        this.database = database;
        this.schemaRegex = schemaRegex;
        this.tableRegex = tableRegex;
    }

    /**
     * Parses one entry.
     *
     * @param optionKey the option the entry came from, named in error messages
     */
    public static TablePattern parse(String optionKey, String entry) {
        String trimmed = entry.trim();
        List<String> parts = splitOnUnescapedDots(trimmed);
        if (parts.size() != 3 || parts.stream().anyMatch(String::isEmpty)) {
            throw new OptionException(
                    optionKey,
                    "entry '"
                            + trimmed
                            + "' is not of the form database.schema.table (got "
                            + parts.size()
                            + " part(s)); write e.g. 'app.public.orders' or"
                            + " 'app.public.order_\\.*'");
        }
        String database = parts.get(0);
        if (!database.matches("[A-Za-z0-9_$\\-]+")) {
            throw new OptionException(
                    optionKey,
                    "entry '"
                            + trimmed
                            + "' names the database as a pattern '"
                            + database
                            + "'; a PostgreSQL source reads exactly one database, name it"
                            + " literally");
        }
        TablePattern pattern = new TablePattern(trimmed, database, parts.get(1), parts.get(2));
        try {
            pattern.schemaPattern();
            pattern.tablePattern();
        } catch (PatternSyntaxException e) {
            throw new OptionException(
                    optionKey,
                    "entry '"
                            + trimmed
                            + "' is not a valid regular expression: "
                            + e.getDescription());
        }
        return pattern;
    }

    /** Parses a comma separated list of entries; empty entries are an error. */
    public static List<TablePattern> parseList(String optionKey, String value) {
        if (value == null || value.trim().isEmpty()) {
            throw new OptionException(
                    optionKey, "is empty; list at least one database.schema.table pattern");
        }
        List<TablePattern> patterns = new ArrayList<>();
        for (String entry : value.split(",", -1)) {
            if (entry.trim().isEmpty()) {
                throw new OptionException(
                        optionKey, "has an empty entry in '" + value + "'; remove the extra comma");
            }
            patterns.add(parse(optionKey, entry));
        }
        return patterns;
    }

    private static List<String> splitOnUnescapedDots(String text) {
        List<String> parts = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\' && i + 1 < text.length() && text.charAt(i + 1) == '.') {
                current.append('.'); // the regex dot
                i++;
            } else if (c == '.') {
                parts.add(current.toString());
                current.setLength(0);
            } else {
                current.append(c);
            }
        }
        parts.add(current.toString());
        return parts;
    }

    public String database() {
        return database;
    }

    public String schemaRegex() {
        return schemaRegex;
    }

    public String tableRegex() {
        return tableRegex;
    }

    /** The entry as the user wrote it. */
    public String text() {
        return text;
    }

    /** The form Debezium's {@code table.include.list} matches against {@code schema.table}. */
    public String toDebeziumRegex() {
        return schemaRegex + "\\." + tableRegex;
    }

    public boolean matches(String schema, String table) {
        return schemaPattern().matcher(schema).matches() && tablePattern().matcher(table).matches();
    }

    private Pattern schemaPattern() {
        if (schemaPattern == null) {
            schemaPattern = Pattern.compile(schemaRegex);
        }
        return schemaPattern;
    }

    private Pattern tablePattern() {
        if (tablePattern == null) {
            tablePattern = Pattern.compile(tableRegex);
        }
        return tablePattern;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TablePattern && ((TablePattern) o).text.equals(text);
    }

    @Override
    public int hashCode() {
        return Objects.hash(text);
    }

    @Override
    public String toString() {
        return text;
    }
}
