package io.pgcdc.connector.config;

import io.debezium.config.Configuration;
import io.debezium.connector.postgresql.PostgresConnectorConfig;
import io.debezium.relational.TableId;
import io.debezium.relational.Tables.TableFilter;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The include list Debezium builds its table filter from (reader, enumerator discovery and backfill
 * all filter by it) names each table exactly: its own entry includes it, and includes no other
 * table of a fixture of look-alikes.
 */
@Tag("core")
class TableIncludeListTest {

    private static final List<TableId> TABLES =
            Arrays.asList(
                    table("public", "a_b"),
                    table("public", "axb"),
                    table("public", "p%q"),
                    table("public", "a\\b"),
                    table("public", "ab"),
                    table("public", "z\\"),
                    table("s_1", "t"),
                    table("sx1", "t"),
                    table("public", "d.e"),
                    table("public", "dxe"),
                    table("x.y", "z"),
                    table("x", "y.z"),
                    table("public", "my table"),
                    table("public", "mytable"),
                    table("public", " lead"),
                    table("public", "lead"),
                    table("public", "trail "),
                    table("public", "trail"),
                    table("public", "tab\there"),
                    table("public", "q\"x"),
                    table("public", "it's"),
                    table("public", "orders"),
                    table("public", "Orders"),
                    table("public", "café"),
                    table("schéma", "表"),
                    table("select", "order"),
                    table("public", "a$b"),
                    table("public", "a(b"),
                    table("public", "a+b"),
                    table("public", "a|b"),
                    table("public", "a,b"),
                    table("public", "a"),
                    table("public", "b"),
                    table("public", "k[1]"),
                    table("public", "k1"),
                    table("public", "x#y"),
                    table("public", "a{2}"),
                    table("public", "aa"));

    @Test
    void eachEntryIncludesItsTableAndNoOther() {
        for (TableId table : TABLES) {
            String list =
                    TableIncludeList.exactly(
                            Collections.singletonList(
                                    new String[] {table.schema(), table.table()}));
            for (TableId other : TABLES) {
                if (!other.equals(table) && dotted(other).equals(dotted(table))) {
                    continue; // x.y.z: Debezium cannot tell these apart; CapturedTables refuses
                    // such a pair
                }
                assertThat(filter(list).isIncluded(other))
                        .as("entry %s of %s, applied to %s", list, table, other)
                        .isEqualTo(other.equals(table));
            }
        }
    }

    @Test
    void aListOfAllIncludesEachAndNothingElse() {
        List<TableId> captured = TABLES.subList(0, TABLES.size() / 2);
        String list =
                TableIncludeList.exactly(
                        captured.stream()
                                .map(t -> new String[] {t.schema(), t.table()})
                                .collect(Collectors.toList()));
        for (TableId table : TABLES) {
            if (table.equals(table("x", "y.z"))) {
                continue; // x.y.z: see above
            }
            assertThat(filter(list).isIncluded(table))
                    .as("%s", table)
                    .isEqualTo(captured.contains(table));
        }
    }

    private static TableFilter filter(String includeList) {
        PostgresConnectorConfig config =
                new PostgresConnectorConfig(
                        Configuration.create()
                                .with("database.server.name", "test")
                                .with("table.include.list", includeList)
                                .build());
        return config.getTableFilters().dataCollectionFilter();
    }

    private static String dotted(TableId table) {
        return table.schema() + "." + table.table();
    }

    private static TableId table(String schema, String table) {
        return new TableId(null, schema, table);
    }
}
