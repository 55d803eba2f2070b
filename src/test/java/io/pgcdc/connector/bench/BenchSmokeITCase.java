package io.pgcdc.connector.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A shrunken benchmark run of every phase: it produces its results and plots (timings are not
 * asserted).
 */
class BenchSmokeITCase {

    @Test
    void smokeRunWritesResultsAndPlots(@TempDir Path out) throws Exception {
        Map<String, String> values = new HashMap<>();
        values.put("rows", "20000");
        values.put("rounds", "1");
        values.put("splits", "10");
        values.put("parallelism", "1");
        values.put("backfill", "off");
        values.put("variants", "A,B50");
        values.put("stock-default-splits", "");
        values.put("stream.variants", "A");
        values.put("warmup", "false");
        values.put("stream.updates", "200");
        values.put("stream.rate", "1000");
        values.put("timeout-minutes", "3");
        values.put("tables", "5");
        values.put("throughput.rows", "2000");
        values.put("throughput.txns", "200");
        values.put("out", out.toString());
        BenchSettings settings = BenchSettings.of(values);

        List<BenchResult> results = BenchMain.run(settings);
        String markdown = BenchReport.write(settings, results);

        assertThat(results)
                .extracting(r -> r.kind + " " + r.variant)
                .containsExactly(
                        "snapshot A",
                        "snapshot B50",
                        "copy C",
                        "stream A",
                        "throughput R",
                        "throughput A",
                        "throughput R",
                        "throughput A",
                        "tables A");
        assertThat(results.subList(0, 3)).allMatch(r -> r.rowsPerSecond > 0 && r.rows == 20000);
        assertThat(results.get(3).latencyP99)
                .as("A's streaming phase measured")
                .isGreaterThanOrEqualTo(0);
        assertThat(results.get(3).updates).isEqualTo(200);
        assertThat(results.subList(4, 8))
                .extracting(r -> r.rows)
                .containsExactly(2000L, 2000L, 200L, 200L);
        assertThat(results.subList(4, 8)).allMatch(r -> r.rowsPerSecond > 0);
        BenchResult tables = results.get(8);
        assertThat(tables.rows).isEqualTo(500);
        assertThat(tables.txnSeconds).as("the transaction over every table arrived").isPositive();
        assertThat(tables.restoreTxnSeconds).as("and again after a restore").isPositive();
        assertThat(tables.stateBytes).isPositive();
        assertThat(tables.left).isZero();
        assertThat(Files.readAllLines(out.resolve("results.csv"))).hasSize(10);
        assertThat(out.resolve("results.json")).exists();
        assertThat(out.resolve("connections.png")).exists();
        assertThat(out.resolve("rows-per-second.png")).exists();
        assertThat(out.resolve("tables.png")).exists();
        assertThat(out.resolve("stream-throughput.png")).exists();
        assertThat(markdown)
                .contains("| 10 splits, p=1, backfill off | A |")
                .contains("| A | 200 |")
                .contains("| 5 | ")
                .contains("| 200 txns x 1 row | A | 200 |");
    }
}
