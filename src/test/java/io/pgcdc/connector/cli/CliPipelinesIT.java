package io.pgcdc.connector.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.pgcdc.connector.testbed.PostgresExtension;
import io.pgcdc.connector.testbed.TestDatabase;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Pipelines as users combine them, submitted by Flink CDC's CLI ({@code flink-cdc.sh -t remote}) to
 * a Flink session cluster with checkpointing (at parallelism 2 the stream starts after the first
 * checkpoint that follows the snapshot, as upstream's does): a transform, a route, schema evolution
 * with DDL while streaming; and every example pipeline with a {@code values} sink. The sink's
 * tables are rebuilt from its output and compared with PostgreSQL's, row for row. Each runs under
 * Flink CDC 3.5.0 and 3.6.0 with the same plugin jar.
 */
@ExtendWith(PostgresExtension.class)
class CliPipelinesIT {

    private static final Duration TIMEOUT = Duration.ofMinutes(3);

    /**
     * A timestamptz as the values sink prints a TIMESTAMP_LTZ: the UTC local date-time's ISO text.
     */
    private static final String UTC_TEXT =
            "regexp_replace(regexp_replace(to_char(%s AT TIME ZONE 'UTC',"
                    + " 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), '0+$', ''), '\\.$', '')";

    /**
     * The plugin jar in Flink's lib too (loaded by the cluster's class loader and again from {@code
     * pipeline.jars}), next to another connector's unrelocated flink-cdc-base, Debezium and pgjdbc,
     * in both the cluster's and the CLI's class path.
     */
    @ParameterizedTest(name = "Flink CDC {0}")
    @ValueSource(strings = {CdcLib.V3_5, CdcLib.V3_6})
    void transformRouteAndSchemaEvolutionAtParallelismTwo(String version, TestDatabase db)
            throws Exception {
        CdcLib lib = CdcLib.of(version);
        Path work = CdcLib.workDir("pipelines-" + version);
        db.execute(
                "CREATE TABLE orders (id INT PRIMARY KEY, item TEXT, qty INT)",
                "INSERT INTO orders SELECT i, 'item' || i, i FROM generate_series(1, 6) i",
                // timestamptz through a transform: TIMESTAMP_LTZ here, which transforms can
                // evaluate
                "CREATE TABLE customers (id INT PRIMARY KEY, name TEXT, region TEXT,"
                        + " seen TIMESTAMPTZ DEFAULT '2024-03-31 01:30:15+02')",
                // UPPER fails on NULL (Flink CDC 3.5 and 3.6), and without FULL an update's before
                // image has NULL names
                "ALTER TABLE customers REPLICA IDENTITY FULL",
                "INSERT INTO customers VALUES (1, 'ann', 'north', '2024-01-02 03:04:05.125-08'),"
                        + " (2, 'bob', 'south', DEFAULT), (3, 'cy', 'hidden', DEFAULT), (4, 'dee',"
                        + " 'north', NULL), (5, 'eve', 'east', DEFAULT)",
                "CREATE TABLE shard_1 (id INT PRIMARY KEY, v TEXT)",
                "CREATE TABLE shard_2 (id INT PRIMARY KEY, v TEXT)",
                "INSERT INTO shard_1 VALUES (1, 'a'), (2, 'b'), (3, 'c')",
                "INSERT INTO shard_2 VALUES (101, 'x'), (102, 'y'), (103, 'z')");
        Map<String, String> source =
                PipelineYaml.source(
                        db,
                        db.name()
                                + ".public.orders, "
                                + db.name()
                                + ".public.customers, "
                                + db.name()
                                + ".public.shard_\\d+");
        source.put("metadata.list", "row_kind");
        source.put("schema-change.enabled", "true");
        source.put("scan.incremental.snapshot.chunk.size", "2");
        Path pipeline = work.resolve("pipeline.yaml");
        Files.writeString(
                pipeline,
                PipelineYaml.block("source", source)
                        + "sink:\n"
                        + "  type: values\n"
                        + "route:\n"
                        + "  - source-table: 'public.shard_\\d+'\n"
                        + "    sink-table: public.shards\n"
                        + "transform:\n"
                        + "  - source-table: public.customers\n"
                        + "    projection: '\\*, UPPER(name) AS name_upper, row_kind AS"
                        + " last_kind'\n"
                        + "    filter: region <> 'hidden'\n"
                        + "pipeline:\n"
                        + "  name: cli-pipelines\n"
                        + "  parallelism: 2\n"
                        + "  schema.change.behavior: evolve\n");

        List<Path> otherConnector = otherConnectorJars();
        List<Path> clusterLib = new ArrayList<>(lib.flinkLib());
        clusterLib.add(CdcLib.pluginJar());
        clusterLib.addAll(otherConnector);
        try (SessionCluster cluster = SessionCluster.start(work, "cluster", clusterLib)) {
            String job = submit(work, lib, otherConnector, pipeline, cluster);
            FlinkRest rest = cluster.rest();
            rest.awaitState(job, "RUNNING", TIMEOUT);
            Supplier<ValuesSinkOutput> sink = () -> ValuesSinkOutput.of(cluster.stdout());
            awaitTables(
                    sink,
                    db,
                    "the snapshot",
                    Map.of(
                            "public.orders", "SELECT id, item, qty FROM orders",
                            "public.shards",
                                    "SELECT * FROM shard_1 UNION ALL SELECT * FROM shard_2"));
            assertThat(TestDatabase.await(TIMEOUT, () -> db.globalSlotReader() != null))
                    .as("streaming")
                    .isTrue();

            db.execute(
                    "INSERT INTO orders VALUES (7, 'item7', 7)",
                    "UPDATE orders SET qty = 10 WHERE id = 1",
                    "DELETE FROM orders WHERE id = 2",
                    "ALTER TABLE orders ADD COLUMN note TEXT",
                    "INSERT INTO orders VALUES (8, 'item8', 8, 'new')",
                    "UPDATE orders SET note = 'noted' WHERE id = 3",
                    "ALTER TABLE orders RENAME COLUMN qty TO quantity",
                    "UPDATE orders SET quantity = 40 WHERE id = 4",
                    "ALTER TABLE orders ALTER COLUMN quantity TYPE BIGINT",
                    "INSERT INTO orders VALUES (9, 'item9', 5000000000, 'big')",
                    "ALTER TABLE orders DROP COLUMN item",
                    "INSERT INTO orders VALUES (10, 10, 'last')",
                    "UPDATE customers SET name = 'bobby' WHERE id = 2",
                    "INSERT INTO customers VALUES (6, 'fay', 'west')",
                    "DELETE FROM customers WHERE id = 4",
                    "INSERT INTO customers VALUES (7, 'gus', 'hidden')",
                    "INSERT INTO shard_1 VALUES (4, 'd')",
                    "UPDATE shard_2 SET v = 'yy' WHERE id = 102",
                    "DELETE FROM shard_1 WHERE id = 2");
            awaitTables(
                    sink,
                    db,
                    "the stream",
                    Map.of(
                            "public.orders", "SELECT id, quantity, note FROM orders",
                            "public.customers",
                                    "SELECT id, name, region, "
                                            + UTC_TEXT.replace("%s", "seen")
                                            + " AS seen, upper(name) AS name_upper, CASE WHEN id ="
                                            + " 2 THEN '+U' ELSE '+I' END AS last_kind FROM"
                                            + " customers WHERE region <> 'hidden'",
                            "public.shards",
                                    "SELECT * FROM shard_1 UNION ALL SELECT * FROM shard_2"));
            assertThat(sink.get().tables())
                    .containsExactlyInAnyOrder(
                            "public.orders", "public.customers", "public.shards");
            assertThat(sink.get().schemaChanges())
                    .as("schema changes of orders reaching the sink")
                    .anyMatch(c -> c.startsWith("AddColumnEvent{tableId=public.orders"))
                    .anyMatch(c -> c.startsWith("RenameColumnEvent{tableId=public.orders"))
                    .anyMatch(c -> c.startsWith("AlterColumnTypeEvent{tableId=public.orders"))
                    .anyMatch(c -> c.startsWith("DropColumnEvent{tableId=public.orders"));

            rest.cancel(job, TIMEOUT);
        }
        assertNothingLeft(db);
    }

    /**
     * Every example pipeline whose sink is {@code values}, against the test database, with the
     * plugin jar in the cluster's lib too.
     */
    @ParameterizedTest(name = "Flink CDC {0}")
    @ValueSource(strings = {CdcLib.V3_5, CdcLib.V3_6})
    void everyValuesExampleRuns(String version, TestDatabase db) throws Exception {
        CdcLib lib = CdcLib.of(version);
        List<Path> examples;
        try (Stream<Path> files = Files.list(Paths.get("pipeline-examples"))) {
            examples =
                    files.filter(p -> p.toString().endsWith(".yaml"))
                            .sorted()
                            .collect(Collectors.toList());
        }
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        int ran = 0;
        for (Path example : examples) {
            ObjectNode pipeline = (ObjectNode) yaml.readTree(example.toFile());
            if (!"values".equals(pipeline.path("sink").path("type").asText())) {
                continue;
            }
            String name = example.getFileName().toString().replace(".yaml", "");
            Path work = CdcLib.workDir("example-" + name + "-" + version);
            List<String> tables = prepareExampleTables(db, pipeline);
            Path file = work.resolve(name + ".yaml");
            yaml.writeValue(file.toFile(), pipeline);
            // the plugin in Flink's lib as well, as in an image built for a Kubernetes application
            List<Path> clusterLib = new ArrayList<>(lib.flinkLib());
            clusterLib.add(CdcLib.pluginJar());
            try (SessionCluster cluster = SessionCluster.start(work, "cluster", clusterLib)) {
                String job = submit(work, lib, List.of(), file, cluster);
                cluster.rest().awaitState(job, "RUNNING", TIMEOUT);
                Supplier<ValuesSinkOutput> sink = () -> ValuesSinkOutput.of(cluster.stdout());
                Map<String, String> expected = new LinkedHashMap<>();
                for (String table : tables) {
                    expected.put("public." + table, "SELECT * FROM " + table);
                }
                awaitTables(sink, db, example + ": the snapshot", expected);
                assertThat(TestDatabase.await(TIMEOUT, () -> db.globalSlotReader() != null))
                        .as("streaming")
                        .isTrue();
                for (String table : tables) {
                    db.execute(
                            "INSERT INTO " + table + " VALUES (100, 'streamed')",
                            "DELETE FROM " + table + " WHERE id = 1");
                }
                awaitTables(sink, db, example + ": the stream", expected);
                cluster.rest().cancel(job, TIMEOUT);
            }
            assertNothingLeft(db);
            for (String table : tables) {
                db.execute("DROP TABLE " + table);
            }
            db.execute("SELECT pg_drop_replication_slot('" + db.slotName() + "')");
            ran++;
        }
        assertThat(ran).as("example pipelines with a values sink").isGreaterThanOrEqualTo(1);
    }

    /**
     * Points the example's source at the test database and creates two rows in each table it names.
     */
    private static List<String> prepareExampleTables(TestDatabase db, ObjectNode pipeline) {
        ObjectNode source = (ObjectNode) pipeline.get("source");
        PipelineYaml.source(db, "")
                .forEach(
                        (key, value) -> {
                            if (!key.equals("tables") && !key.equals("type")) {
                                source.put(key, value);
                            }
                        });
        List<String> entries = new ArrayList<>();
        List<String> tables = new ArrayList<>();
        for (String entry : source.get("tables").asText().split(",")) {
            String[] parts = entry.trim().split("(?<!\\\\)\\.", 3); // db, schema, table pattern
            entries.add(db.name() + "." + parts[1] + "." + parts[2]);
            // a table for each pattern: its literal prefix, made a name
            String table = parts[2].replace("\\.*", "lines").replace("\\", "");
            tables.add(table);
            db.execute(
                    "CREATE TABLE " + table + " (id INT PRIMARY KEY, v TEXT)",
                    "INSERT INTO " + table + " VALUES (1, 'one'), (2, 'two')");
        }
        source.put("tables", String.join(", ", entries));
        return tables;
    }

    /**
     * Submits the pipeline with the CLI ({@code -t remote}, checkpointing on); the job id it
     * prints.
     */
    private static String submit(
            Path work, CdcLib lib, List<Path> dropped, Path pipeline, SessionCluster cluster)
            throws Exception {
        Map<String, String> flinkConfig = new LinkedHashMap<>();
        flinkConfig.put("rest.address", "localhost");
        flinkConfig.put("rest.port", String.valueOf(cluster.restPort()));
        flinkConfig.put("execution.checkpointing.interval", "1s");
        try (ChildJvm cli =
                CdcCli.start(
                        "cli",
                        work,
                        lib,
                        dropped,
                        pipeline,
                        List.of("-t", "remote"),
                        flinkConfig)) {
            assertThat(cli.awaitExit(TIMEOUT))
                    .as("the CLI's exit code; stderr:\n%s", ChildJvm.tail(cli.stderrLines()))
                    .isZero();
            String line =
                    cli.awaitLine(
                            "the job id", Duration.ofSeconds(5), l -> l.startsWith("Job ID: "));
            assertThat(cli.lines()).contains("Pipeline has been submitted to cluster.");
            return line.substring("Job ID: ".length()).trim();
        }
    }

    /** Waits until each sink table equals its query's rows (keyed by the first column). */
    private static void awaitTables(
            Supplier<ValuesSinkOutput> sink,
            TestDatabase db,
            String what,
            Map<String, String> queries)
            throws Exception {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        Map<String, String> differences = new LinkedHashMap<>();
        while (System.nanoTime() < deadline) {
            differences.clear();
            ValuesSinkOutput output = sink.get();
            for (Map.Entry<String, String> query : queries.entrySet()) {
                Map<String, Map<String, String>> expected = db.rowsByFirstColumn(query.getValue());
                Map<String, Map<String, String>> actual = output.finalRows(query.getKey());
                if (!expected.equals(actual)) {
                    differences.put(
                            query.getKey(), "sink " + actual + "\n    database " + expected);
                }
            }
            if (differences.isEmpty()) {
                return;
            }
            Thread.sleep(250);
        }
        throw new AssertionError(
                "Sink tables differ from the database after " + what + ":\n  " + differences);
    }

    private static void assertNothingLeft(TestDatabase db) {
        assertThat(
                        TestDatabase.await(
                                Duration.ofSeconds(10), () -> db.connectorSessions().isEmpty()))
                .as("sessions left: %s", db.connectorSessions())
                .isTrue();
        assertThat(db.slots()).as("slots: only the job's own").containsExactly(db.slotName());
    }

    /**
     * The jars of another PostgreSQL connector dropped into the same lib: flink-cdc-base,
     * postgres-cdc, Debezium and pgjdbc, none relocated (this JVM's own copies).
     */
    private static List<Path> otherConnectorJars() {
        List<Path> jars = new ArrayList<>();
        for (String entry :
                System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            String file = Paths.get(entry).getFileName().toString();
            if (file.matches(
                    "(flink-cdc-base|flink-connector-postgres-cdc|flink-connector-debezium|debezium-core"
                        + "|debezium-api|debezium-connector-postgres|postgresql|connect-api)-[0-9].*\\.jar")) {
                jars.add(Paths.get(entry));
            }
        }
        assertThat(jars).as("another connector's jars").hasSizeGreaterThanOrEqualTo(6);
        return jars;
    }
}
