package io.pgcdc.connector.source;

import org.apache.flink.cdc.common.source.DataSource;
import org.apache.flink.cdc.common.source.FlinkSourceProvider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.pgcdc.connector.testbed.PipelineJob;
import io.pgcdc.connector.testbed.PostgresExtension;
import io.pgcdc.connector.testbed.SourceConfigs;
import io.pgcdc.connector.testbed.TestDatabase;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every YAML in pipeline-examples/: its source block, pointed at a seeded test database, runs on a
 * MiniCluster (parallelism 2, checkpointing) through the SPI-discovered factory; the snapshot rows
 * and then the streamed changes must arrive exactly.
 */
@Tag("core")
@ExtendWith(PostgresExtension.class)
class PipelineExamplesITCase {

    private static final int ORDERS = 60;
    private static final int ITEMS = 40;
    private static final int ARCHIVED = 5;

    static Stream<Path> examples() throws Exception {
        try (Stream<Path> files = Files.list(Paths.get("pipeline-examples"))) {
            List<Path> yamls =
                    files.filter(p -> p.toString().endsWith(".yaml"))
                            .sorted()
                            .collect(Collectors.toList());
            assertThat(yamls).isNotEmpty();
            return yamls.stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    void sourceBlockRunsEndToEnd(Path yaml, TestDatabase db) throws Exception {
        Map<String, String> options = sourceBlock(yaml.toFile());
        assertThat(options.remove("type")).isEqualTo("postgres");
        options.remove("name");
        pointAt(options, db);
        options.put("scan.incremental.snapshot.chunk.size", "10"); // several splits per table
        seed(db);

        DataSource source = SourceConfigs.create(options);
        boolean withDatabase = "true".equals(options.get("table-id.include-database"));
        String prefix = withDatabase ? db.name() + ".public." : "public.";
        List<String> captured =
                ((PostgresDataSource) source)
                        .capturedTables().stream()
                                .map(t -> t[1])
                                .sorted()
                                .collect(Collectors.toList());
        assertThat(captured).as("tables captured by " + yaml).isEqualTo(expectedTables(options));
        boolean itemsCaptured = captured.contains("order_items");

        List<String> expectedSnapshot = new ArrayList<>();
        for (int i = 1; i <= ORDERS; i++) {
            expectedSnapshot.add(order(prefix, "+I", i, amount(i)));
        }
        if (itemsCaptured) {
            for (int i = 1; i <= ITEMS; i++) {
                expectedSnapshot.add(
                        "+I "
                                + prefix
                                + "order_items["
                                + i
                                + ", "
                                + (i % ORDERS + 1)
                                + ", sku-"
                                + i
                                + ", "
                                + i
                                + "]");
            }
        }
        if (captured.contains("order_archive")) {
            for (int i = 1; i <= ARCHIVED; i++) {
                expectedSnapshot.add("+I " + prefix + "order_archive[" + i + "]");
            }
        }

        try (PipelineJob job =
                PipelineJob.start(
                        ((FlinkSourceProvider) source.getEventSourceProvider()).getSource(), 2)) {
            job.await(
                    "snapshot rows",
                    Duration.ofSeconds(120),
                    log -> log.dataCount() >= expectedSnapshot.size());
            assertThat(job.log().dataLines()).containsExactlyInAnyOrderElementsOf(expectedSnapshot);
            for (String table : captured) {
                assertThat(job.log().lines())
                        .as("CREATE of " + table)
                        .anyMatch(line -> line.startsWith("CREATE " + prefix + table + " "));
            }

            db.execute(
                    "INSERT INTO orders VALUES (1001, 'new', 12.34, TIMESTAMP '2024-02-01"
                            + " 08:00:00')",
                    "UPDATE orders SET amount = 99.99 WHERE id = 1",
                    "DELETE FROM orders WHERE id = 2",
                    "UPDATE order_items SET qty = qty + 1 WHERE id = 1");
            List<String> expectedChanges =
                    new ArrayList<>(
                            Arrays.asList(
                                    "+I " + prefix + "orders[1001, new, 12.34, 2024-02-01T08:00]",
                                    order(prefix, "-U", 1, amount(1)),
                                    order(prefix, "+U", 1, "99.99"),
                                    order(prefix, "-D", 2, amount(2))));
            if (itemsCaptured) {
                expectedChanges.add("-U " + prefix + "order_items[1, 2, sku-1, 1]");
                expectedChanges.add("+U " + prefix + "order_items[1, 2, sku-1, 2]");
            }
            int total = expectedSnapshot.size() + expectedChanges.size();
            job.await("streamed changes", Duration.ofSeconds(120), log -> log.dataCount() >= total);
            List<String> lines = job.log().dataLines();
            assertThat(lines.subList(expectedSnapshot.size(), lines.size()))
                    .containsExactlyElementsOf(expectedChanges);
        }
    }

    /** The seeded tables each example's patterns select, worked out by hand. */
    private static List<String> expectedTables(Map<String, String> options) {
        String tables = options.get("tables");
        List<String> expected = new ArrayList<>();
        for (String table : new String[] {"order_archive", "order_items", "orders"}) {
            boolean included =
                    tables.contains(".public." + table)
                            || (tables.contains("order_\\.*") && table.startsWith("order_"))
                            || tables.contains("order\\.*");
            String exclude = options.getOrDefault("tables.exclude", "");
            if (included && !exclude.endsWith("." + table)) {
                expected.add(table);
            }
        }
        return expected;
    }

    private static String amount(int i) {
        return new java.math.BigDecimal(i)
                .multiply(new java.math.BigDecimal("1.50"))
                .setScale(2)
                .toPlainString();
    }

    private static String order(String prefix, String op, int id, String amount) {
        java.time.LocalDateTime created =
                java.time.LocalDateTime.of(2024, 1, 1, 0, 0).plusMinutes(id);
        return op + " " + prefix + "orders[" + id + ", c" + id + ", " + amount + ", " + created
                + "]";
    }

    private static void seed(TestDatabase db) {
        db.execute(
                "CREATE TABLE orders (id BIGINT PRIMARY KEY, customer VARCHAR(32) NOT NULL,"
                        + " amount NUMERIC(10,2), created_at TIMESTAMP(3))",
                "CREATE TABLE order_items (id INT PRIMARY KEY, order_id BIGINT, sku TEXT, qty INT)",
                "CREATE TABLE order_archive (id BIGINT PRIMARY KEY)",
                "ALTER TABLE orders REPLICA IDENTITY FULL",
                "ALTER TABLE order_items REPLICA IDENTITY FULL",
                "INSERT INTO orders SELECT i, 'c' || i, i * 1.5, TIMESTAMP '2024-01-01' + i *"
                        + " INTERVAL '1 minute' FROM generate_series(1, "
                        + ORDERS
                        + ") i",
                "INSERT INTO order_items SELECT i, i % "
                        + ORDERS
                        + " + 1, 'sku-' || i, i FROM generate_series(1, "
                        + ITEMS
                        + ") i",
                "INSERT INTO order_archive SELECT i FROM generate_series(1, " + ARCHIVED + ") i");
    }

    /** The example's source block as string options. */
    static Map<String, String> sourceBlock(File yaml) throws Exception {
        JsonNode root = new ObjectMapper(new YAMLFactory()).readTree(yaml);
        JsonNode source = root.get("source");
        assertThat(source).as("source block of " + yaml).isNotNull();
        Map<String, String> options = new HashMap<>();
        Iterator<Map.Entry<String, JsonNode>> fields = source.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            options.put(field.getKey(), field.getValue().asText());
        }
        return options;
    }

    /** Replaces the example's server, credentials, database and slot with the test's. */
    static void pointAt(Map<String, String> options, TestDatabase db) {
        options.put("hostname", db.server().host());
        options.put("port", String.valueOf(db.server().port()));
        options.put("username", db.server().user());
        options.put("password", db.server().password());
        options.put("slot.name", db.slotName());
        for (String key : new String[] {"tables", "tables.exclude"}) {
            String value = options.get(key);
            if (value != null) {
                options.put(
                        key,
                        Arrays.stream(value.split(","))
                                .map(String::trim)
                                .map(entry -> db.name() + entry.substring(entry.indexOf('.')))
                                .collect(Collectors.joining(", ")));
            }
        }
    }
}
