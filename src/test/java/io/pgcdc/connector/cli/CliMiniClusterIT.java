package io.pgcdc.connector.cli;

import io.pgcdc.connector.testbed.PostgresExtension;
import io.pgcdc.connector.testbed.TestDatabase;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The quickest local try, exactly as a user runs it: {@code flink-cdc.sh pipeline.yaml
 * --use-mini-cluster} with the plugin jar in the CDC lib and a {@code values} sink. The composer
 * adds the plugin jar to {@code pipeline.jars}, so the job loads it a second time, child-first.
 * Snapshot and streamed rows reach the sink; the job is cancelled through Flink's REST API and
 * nothing of ours is left on the database. Under Flink CDC 3.5 and 3.6, the same plugin jar.
 */
@ExtendWith(PostgresExtension.class)
class CliMiniClusterIT {

    private static final Duration TIMEOUT = Duration.ofMinutes(3);

    @ParameterizedTest(name = "Flink CDC {0}")
    @ValueSource(strings = {CdcLib.V3_5, CdcLib.V3_6})
    void snapshotAndStreamThroughTheCli(String version, TestDatabase db) throws Exception {
        CdcLib lib = CdcLib.of(version);
        Path work = CdcLib.workDir("mini-cluster-" + version);
        db.execute(
                "CREATE TABLE orders (id INT PRIMARY KEY, item TEXT, qty INT)",
                "INSERT INTO orders VALUES (1, 'apple', 3), (2, 'pear', 1), (3, 'plum', 7)");
        Path pipeline = work.resolve("pipeline.yaml");
        Files.writeString(
                pipeline,
                PipelineYaml.block("source", PipelineYaml.source(db, db.name() + ".public.\\.*"))
                        + "sink:\n  type: values\n"
                        + "pipeline:\n  name: cli-mini-cluster\n  parallelism: 1\n");

        try (ChildJvm cli =
                CdcCli.start(
                        "cli",
                        work,
                        lib,
                        List.of(),
                        pipeline,
                        List.of("--use-mini-cluster"),
                        Map.of())) {
            cli.awaitLine(
                    "the third snapshot row", TIMEOUT, line -> line.contains("after=[3, plum, 7]"));
            assertThat(TestDatabase.await(TIMEOUT, () -> db.globalSlotReader() != null))
                    .as("streaming")
                    .isTrue();
            db.execute(
                    "INSERT INTO orders VALUES (4, 'fig', 2)",
                    "UPDATE orders SET qty = 5 WHERE id = 1",
                    "DELETE FROM orders WHERE id = 2");
            cli.awaitLine("the delete", TIMEOUT, line -> line.contains("op=DELETE"));
            assertThat(ValuesSinkOutput.of(cli.lines()).finalRows("public.orders"))
                    .isEqualTo(db.rowsByFirstColumn("SELECT id, item, qty FROM orders"));

            FlinkRest rest = new FlinkRest(CdcCli.miniClusterRestPort(work, "cli", TIMEOUT));
            String job = rest.awaitJob("cli-mini-cluster", "RUNNING", TIMEOUT);
            rest.requestCancel(job);
            assertThat(cli.awaitExit(TIMEOUT))
                    .as("the CLI's exit code after a cancel")
                    .isEqualTo(1);
            assertThat(String.join("\n", cli.stderrLines())).contains("Job was cancelled");
        }
        assertThat(
                        TestDatabase.await(
                                Duration.ofSeconds(10), () -> db.connectorSessions().isEmpty()))
                .as("sessions left: %s", db.connectorSessions())
                .isTrue();
        assertThat(db.slots())
                .as("slots: only the job's own, which the user drops")
                .containsExactly(db.slotName());
    }
}
