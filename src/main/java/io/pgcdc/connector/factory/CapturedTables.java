package io.pgcdc.connector.factory;

import org.apache.flink.annotation.Internal;
import org.apache.flink.table.api.ValidationException;

import io.pgcdc.connector.config.ConnectionSettings;
import io.pgcdc.connector.config.OptionException;
import io.pgcdc.connector.config.PostgresSourceSettings;
import io.pgcdc.connector.config.SqlNames;
import io.pgcdc.connector.config.SystemSchemas;
import io.pgcdc.connector.config.TablePattern;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.pgcdc.connector.config.PostgresSourceOptions.TABLES;
import static io.pgcdc.connector.config.PostgresSourceOptions.TABLES_EXCLUDE;

/**
 * Resolves the {@code tables} and {@code tables.exclude} patterns against the database at job
 * creation and runs the {@link StartupChecks}, over one short connection that is always closed, so
 * a pattern that matches nothing or a misconfigured server fails before any slot or reader exists.
 */
@Internal
public final class CapturedTables {

    /**
     * Tables outside the system schemas: ordinary tables (partitions among them), or with
     * partitioned tables captured through their root, the roots instead of their partitions.
     */
    private static final String LIST_TABLES =
            "SELECT n.nspname, c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n"
                    + " ON n.oid = c.relnamespace WHERE (CASE WHEN ? THEN (c.relkind = 'r' AND NOT"
                    + " c.relispartition) OR c.relkind = 'p' ELSE c.relkind = 'r' END) AND "
                    + SystemSchemas.excludedFrom("n.nspname")
                    + " ORDER BY 1, 2";

    /** Role label of the validation connection in pg_stat_activity. */
    static final String ROLE = "validator";

    private CapturedTables() {}

    /** The captured tables as {schema, table} pairs, in a stable order. */
    public static List<String[]> resolve(PostgresSourceSettings settings) {
        List<String[]> all = new ArrayList<>();
        ConnectionSettings connection = settings.connection;
        try (Connection jdbc = connection.open(ROLE)) {
            try (PreparedStatement statement = jdbc.prepareStatement(LIST_TABLES)) {
                statement.setBoolean(1, settings.includePartitionedTables);
                try (ResultSet rs = statement.executeQuery()) {
                    while (rs.next()) {
                        all.add(new String[] {rs.getString(1), rs.getString(2)});
                    }
                }
            }
            List<String[]> captured = select(settings, all);
            if (settings.startupChecks) {
                StartupChecks.verify(jdbc, settings, captured);
            }
            return captured;
        } catch (SQLException e) {
            // open() already says which options to check; the password never appears in it.
            throw new ValidationException(connection.redact(e.getMessage()), e);
        }
    }

    static List<String[]> select(PostgresSourceSettings settings, List<String[]> all) {
        List<String[]> captured = new ArrayList<>();
        Set<String> capturedKeys = new HashSet<>();
        for (TablePattern pattern : settings.tables) {
            boolean matched = false;
            for (String[] table : all) {
                if (pattern.matches(table[0], table[1])) {
                    matched = true;
                    if (!isExcluded(settings, table)
                            && capturedKeys.add(table[0] + '\0' + table[1])) {
                        captured.add(table);
                    }
                }
            }
            if (!matched) {
                throw new OptionException(
                        TABLES.key(),
                        "entry '"
                                + pattern.text()
                                + "' matches no table in database '"
                                + settings.database()
                                + "'; check the schema and table names (they are case sensitive"
                                + " regular expressions)");
            }
        }
        if (captured.isEmpty()) {
            throw new OptionException(
                    TABLES_EXCLUDE.key(),
                    "excludes every table that 'tables' matches; nothing would be captured");
        }
        Map<String, List<String[]>> byDottedName = new HashMap<>();
        for (String[] table : all) {
            byDottedName
                    .computeIfAbsent(table[0] + "." + table[1], k -> new ArrayList<>(1))
                    .add(table);
        }
        for (String[] table : captured) {
            checkNameSurvivesDebezium(table, byDottedName.get(table[0] + "." + table[1]));
        }
        return captured;
    }

    /**
     * Debezium passes table ids around as text ({@code "schema"."table"}) and reads them back; a
     * few names do not survive that: quotes at either end of a part, two adjacent single quotes or
     * backticks (read back as one). And {@code schema.table} must name one table only: Debezium
     * cannot tell {@code "a.b".c} from {@code a."b.c"}. Such a table is refused here, naming it,
     * rather than failing or losing its changes later.
     */
    private static void checkNameSurvivesDebezium(String[] table, List<String[]> sameDottedName) {
        io.debezium.relational.TableId id =
                new io.debezium.relational.TableId(null, table[0], table[1]);
        io.debezium.relational.TableId read;
        try {
            read = io.debezium.relational.TableId.parse(id.toDoubleQuotedString(), false);
        } catch (RuntimeException e) {
            read = null;
        }
        if (read == null || !table[0].equals(read.schema()) || !table[1].equals(read.table())) {
            throw new OptionException(
                    TABLES.key(),
                    "captures table "
                            + SqlNames.qualified(table[0], table[1])
                            + ", whose name Debezium cannot carry (a quote at either end of the"
                            + " schema or table name, or two adjacent single quotes or backticks);"
                            + " rename it, or leave it out with 'tables.exclude'");
        }
        for (String[] other : sameDottedName) {
            if (!(other[0].equals(table[0]) && other[1].equals(table[1]))) {
                throw new OptionException(
                        TABLES.key(),
                        "captures table "
                                + SqlNames.qualified(table[0], table[1])
                                + ", which Debezium cannot tell"
                                + " from table "
                                + SqlNames.qualified(other[0], other[1])
                                + " (both read '"
                                + table[0]
                                + "."
                                + table[1]
                                + "'); rename one of them");
            }
        }
    }

    private static boolean isExcluded(PostgresSourceSettings settings, String[] table) {
        for (TablePattern excluded : settings.excludedTables) {
            if (excluded.matches(table[0], table[1])) {
                return true;
            }
        }
        return false;
    }
}
