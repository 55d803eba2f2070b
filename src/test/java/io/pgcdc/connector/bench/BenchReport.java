package io.pgcdc.connector.bench;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;

/** Writes results.csv, results.json, results.md and the PNG plots; returns the Markdown. */
final class BenchReport {

    private BenchReport() {}

    static String write(BenchSettings settings, List<BenchResult> results) throws IOException {
        Path out = settings.out;
        Files.createDirectories(out);
        List<String> csv = new ArrayList<>();
        csv.add(BenchResult.csvHeader());
        results.forEach(r -> csv.add(r.csv()));
        Files.write(out.resolve("results.csv"), csv, StandardCharsets.UTF_8);
        Files.write(
                out.resolve("results.json"),
                Collections.singletonList(
                        results.stream()
                                .map(BenchResult::json)
                                .collect(Collectors.joining(",\n  ", "[\n  ", "\n]"))),
                StandardCharsets.UTF_8);
        String markdown = markdown(settings, results);
        Files.write(
                out.resolve("results.md"),
                Collections.singletonList(markdown),
                StandardCharsets.UTF_8);
        connectionsPlot(results, out.resolve("connections.png"));
        throughputPlot(results, out.resolve("rows-per-second.png"));
        tablesPlot(results, out.resolve("tables.png"));
        streamThroughputPlot(results, out.resolve("stream-throughput.png"));
        return markdown;
    }

    /**
     * Medians over rounds per configuration and variant; ratios are medians of per-round ratios.
     */
    static String markdown(BenchSettings settings, List<BenchResult> results) {
        StringBuilder md = new StringBuilder();
        if (results.stream().anyMatch(r -> r.kind.equals("snapshot") || r.kind.equals("copy"))) {
            md.append(
                    String.format(
                            Locale.ROOT,
                            "Benchmark: %,d rows, %d round(s). A = pgcdc, B = stock dialect"
                                + " (Debezium defaults), B50 = stock with"
                                + " `debezium.poll.interval.ms: 50`, C = COPY TO STDOUT. rows/s"
                                + " counts from the first row to the last. A stock run still"
                                + " snapshotting %d s after its first row is stopped and measured"
                                + " over that window; its snapshot time (~) is the estimate at that"
                                + " rate.%n%n",
                            settings.rows,
                            settings.rounds,
                            settings.window.getSeconds()));
            md.append(
                    "| configuration | variant | snapshot s | first row s | rows/s | MB/s | opened"
                            + " | opened/split | peak | left | heap MB | A/B | A/B50 | A/C |\n");
            md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
            Map<String, List<BenchResult>> byConfig = new LinkedHashMap<>();
            for (BenchResult r : results) {
                if (r.kind.equals("snapshot") || r.kind.equals("copy")) {
                    byConfig.computeIfAbsent(r.config() + "|" + r.variant, k -> new ArrayList<>())
                            .add(r);
                }
            }
            for (List<BenchResult> runs : byConfig.values()) {
                BenchResult first = runs.get(0);
                boolean partial = runs.stream().anyMatch(r -> !r.complete);
                md.append(
                        String.format(
                                Locale.ROOT,
                                "| %s | %s | %s%.1f | %.1f | %,.0f | %.1f | %.0f | %.3f | %.0f |"
                                        + " %.0f | %.0f | %s | %s | %s |%n",
                                first.config(),
                                first.variant,
                                partial ? "~" : "",
                                median(runs, r -> r.seconds),
                                median(runs, r -> r.firstRowSeconds),
                                median(runs, r -> r.rowsPerSecond),
                                median(runs, r -> r.mbPerSecond),
                                median(runs, r -> r.opened),
                                median(runs, r -> r.openedPerSplit),
                                median(runs, r -> r.peak),
                                median(runs, r -> r.left),
                                median(runs, r -> r.heapPeakMb),
                                first.variant.equals("A") ? ratio(results, first, "B") : "",
                                first.variant.equals("A") ? ratio(results, first, "B50") : "",
                                first.variant.equals("A") ? ratio(results, first, "C") : ""));
            }
        }
        List<BenchResult> streams =
                results.stream().filter(r -> r.kind.equals("stream")).collect(Collectors.toList());
        if (!streams.isEmpty()) {
            md.append(
                    String.format(
                            Locale.ROOT,
                            "%nStreaming: %,d updates at %,d/s (one transaction per 10 ms, each"
                                    + " commit flushed), source started at the latest offset, p=1;"
                                    + " latency from commit (`op_ts`) to the sink.%n%n",
                            settings.streamUpdates,
                            settings.streamRate));
            md.append(
                    "| variant | updates | latency p50 ms | p99 ms | max ms | opened | peak | left"
                            + " |\n");
            md.append("|---|---|---|---|---|---|---|---|\n");
            for (BenchResult r : streams) {
                md.append(
                        String.format(
                                Locale.ROOT,
                                "| %s | %,d | %d | %d | %d | %d | %d | %d |%n",
                                r.variant,
                                r.updates,
                                r.latencyP50,
                                r.latencyP99,
                                r.latencyMax,
                                r.opened,
                                r.peak,
                                r.left));
            }
        }
        tablesMarkdown(results, md);
        throughputMarkdown(results, md);
        return md.toString();
    }

    /** The whole-database phase: one line per table count. */
    private static void tablesMarkdown(List<BenchResult> results, StringBuilder md) {
        List<BenchResult> runs = ofKind(results, "tables");
        if (runs.isEmpty()) {
            return;
        }
        md.append(
                String.format(
                        Locale.ROOT,
                        "%nWhole databases: N tables of 100 rows (`id int primary key, v text, n"
                            + " numeric(10,2), ts timestamptz`), `tables: <db>.public.t\\d+`, p=%d;"
                            + " then one transaction updating a row in every table (commit to its"
                            + " last change at the sink); then stop with a savepoint, restore, and"
                            + " the same transaction again. Seconds from job submission unless said"
                            + " otherwise; heap = retained after a GC while streaming.%n%n",
                        runs.get(0).parallelism));
        md.append(
                "| tables | first row s | all rows s | rows/s | streaming s | txn s | restore to"
                        + " streaming s | txn after restore s | savepoint MB | savepoint KB/table"
                        + " | heap MB | heap KB/table | opened | peak | left |\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (BenchResult r : runs) {
            md.append(
                    String.format(
                            Locale.ROOT,
                            "| %,d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d | %d"
                                    + " | %d |%n",
                            r.tables,
                            seconds(r.firstRowSeconds),
                            seconds(r.seconds),
                            r.rowsPerSecond > 0
                                    ? String.format(Locale.ROOT, "%,.0f", r.rowsPerSecond)
                                    : "",
                            seconds(r.streamingSeconds),
                            seconds(r.txnSeconds),
                            seconds(r.restoreSeconds),
                            seconds(r.restoreTxnSeconds),
                            r.stateBytes < 0
                                    ? "–"
                                    : String.format(Locale.ROOT, "%.1f", r.stateBytes / 1e6),
                            r.stateBytes < 0
                                    ? "–"
                                    : String.format(
                                            Locale.ROOT, "%.1f", r.stateBytes / 1e3 / r.tables),
                            r.retainedHeapMb < 0
                                    ? "–"
                                    : String.format(Locale.ROOT, "%.0f", r.retainedHeapMb),
                            r.retainedHeapMb < 0
                                    ? "–"
                                    : String.format(
                                            Locale.ROOT, "%.1f", r.retainedHeapMb * 1e3 / r.tables),
                            r.opened,
                            r.peak,
                            r.left));
        }
    }

    /** The streaming-throughput phase: our source (A) against a plain replication stream (R). */
    private static void throughputMarkdown(List<BenchResult> results, StringBuilder md) {
        List<BenchResult> runs = ofKind(results, "throughput");
        if (runs.isEmpty()) {
            return;
        }
        md.append(
                "\n"
                    + "Streaming throughput: a backlog already in the slot, read from its first"
                    + " change to its last. R = a plain pgjdbc replication stream that reads and"
                    + " discards the pgoutput messages (the physical limit here); A = our source"
                    + " into a counting sink, p=1.\n\n");
        md.append("| workload | variant | events | seconds | events/s | A/R |\n");
        md.append("|---|---|---|---|---|---|\n");
        for (BenchResult r : runs) {
            Optional<BenchResult> raw =
                    runs.stream()
                            .filter(o -> o.variant.equals("R") && o.workload.equals(r.workload))
                            .findFirst();
            md.append(
                    String.format(
                            Locale.ROOT,
                            "| %s | %s | %,d | %.1f | %,.0f | %s |%n",
                            r.workload,
                            r.variant,
                            r.rows,
                            r.seconds,
                            r.rowsPerSecond,
                            r.variant.equals("A") && raw.isPresent()
                                    ? String.format(
                                            Locale.ROOT,
                                            "%.2f",
                                            r.rowsPerSecond / raw.get().rowsPerSecond)
                                    : ""));
        }
    }

    private static List<BenchResult> ofKind(List<BenchResult> results, String kind) {
        return results.stream().filter(r -> r.kind.equals(kind)).collect(Collectors.toList());
    }

    /** Seconds to one decimal; a dash for a step not reached. */
    private static String seconds(double value) {
        return value < 0 ? "–" : String.format(Locale.ROOT, "%.1f", value);
    }

    /** Median over rounds of A's rows/s divided by the other variant's, in the same round. */
    private static String ratio(List<BenchResult> results, BenchResult a, String other) {
        List<Double> ratios = new ArrayList<>();
        for (BenchResult ours : results) {
            if (!ours.variant.equals("A")
                    || !ours.kind.equals("snapshot")
                    || !ours.config().equals(a.config())) {
                continue;
            }
            Optional<BenchResult> theirs =
                    results.stream()
                            .filter(
                                    r ->
                                            r.round == ours.round
                                                    && r.variant.equals(other)
                                                    && (other.equals("C")
                                                            || r.config().equals(ours.config())))
                            .findFirst();
            theirs.ifPresent(t -> ratios.add(ours.rowsPerSecond / t.rowsPerSecond));
        }
        if (ratios.isEmpty()) {
            return "";
        }
        return String.format(Locale.ROOT, "%.2f", median(ratios));
    }

    private static double median(List<BenchResult> runs, ToDoubleFunction<BenchResult> value) {
        return median(
                runs.stream()
                        .mapToDouble(value)
                        .boxed()
                        .collect(Collectors.toCollection(ArrayList::new)));
    }

    /** The middle value, or the mean of the two middle ones; sorts {@code values}. */
    private static double median(List<Double> values) {
        Collections.sort(values);
        int middle = values.size() / 2;
        return values.size() % 2 == 1
                ? values.get(middle)
                : (values.get(middle - 1) + values.get(middle)) / 2;
    }

    /**
     * Connections opened since the job started (distinct backend pids) for A, B50 and B in the
     * first round, at the largest split count: A's line stays flat, the stock dialect's climbs with
     * every split. Sessions open at once (the peak) differ far less.
     */
    private static void connectionsPlot(List<BenchResult> results, Path file) throws IOException {
        XYChart chart =
                chart(
                        "Connections opened during the snapshot (first 20 s)",
                        "seconds since job start",
                        "distinct backend pids seen (sampled every 100 ms)",
                        Styler.LegendPosition.InsideNW);
        chart.getStyler().setMarkerSize(0);
        int maxSplits =
                results.stream()
                        .filter(r -> r.kind.equals("snapshot"))
                        .mapToInt(r -> r.splits)
                        .max()
                        .orElse(0);
        for (BenchResult r : results) {
            if (r.round == 1
                    && r.splits == maxSplits
                    && !r.timeline.isEmpty()
                    && r.kind.equals("snapshot")
                    && r.parallelism == results.get(0).parallelism
                    && r.backfill == results.get(0).backfill) {
                List<long[]> points =
                        r.timeline.stream()
                                .filter(p -> p[0] <= 22_000)
                                .collect(Collectors.toList());
                double[] x = points.stream().mapToDouble(p -> p[0] / 1000.0).toArray();
                double[] y = points.stream().mapToDouble(p -> p[2]).toArray();
                chart.addSeries(r.variant + " (" + r.config() + ")", x, y);
            }
        }
        saveUnlessEmpty(chart, file);
    }

    /**
     * Median rows/s per split count, one line per variant (first parallelism and backfill setting).
     */
    private static void throughputPlot(List<BenchResult> results, Path file) throws IOException {
        XYChart chart =
                chart(
                        "Snapshot rows/s by number of splits",
                        "splits",
                        "rows/s (median over rounds, log scale)",
                        Styler.LegendPosition.OutsideE);
        chart.getStyler().setYAxisLogarithmic(true);
        BenchResult reference = results.get(0);
        TreeSet<String> variants =
                results.stream()
                        .filter(r -> r.kind.equals("snapshot"))
                        .map(r -> r.variant)
                        .collect(Collectors.toCollection(TreeSet::new));
        for (String variant : variants) {
            Map<Integer, List<BenchResult>> bySplits = new java.util.TreeMap<>();
            for (BenchResult r : results) {
                if (r.kind.equals("snapshot")
                        && r.variant.equals(variant)
                        && r.parallelism == reference.parallelism
                        && r.backfill == reference.backfill) {
                    bySplits.computeIfAbsent(r.splits, k -> new ArrayList<>()).add(r);
                }
            }
            if (!bySplits.isEmpty()) {
                double[] x = bySplits.keySet().stream().mapToDouble(Integer::doubleValue).toArray();
                double[] y =
                        bySplits.values().stream()
                                .mapToDouble(runs -> median(runs, r -> r.rowsPerSecond))
                                .toArray();
                chart.addSeries(variant, x, y);
            }
        }
        List<BenchResult> copies =
                results.stream().filter(r -> r.variant.equals("C")).collect(Collectors.toList());
        if (!copies.isEmpty() && !chart.getSeriesMap().isEmpty()) {
            double c = median(copies, r -> r.rowsPerSecond);
            double[] x =
                    results.stream()
                            .filter(r -> r.kind.equals("snapshot"))
                            .mapToDouble(r -> r.splits)
                            .distinct()
                            .sorted()
                            .toArray();
            double[] y = new double[x.length];
            java.util.Arrays.fill(y, c);
            chart.addSeries("C (COPY)", x, y);
        }
        saveUnlessEmpty(chart, file);
    }

    /**
     * Seconds against tables, log-log: all rows, the transaction over every table, and that
     * transaction after a restore. Linear growth is a line of slope 1.
     */
    private static void tablesPlot(List<BenchResult> results, Path file) throws IOException {
        List<BenchResult> runs = ofKind(results, "tables");
        XYChart chart =
                chart(
                        "Whole databases: seconds by number of tables (100 rows each)",
                        "tables (log scale)",
                        "seconds (log scale)",
                        Styler.LegendPosition.InsideNW);
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setYAxisLogarithmic(true);
        addReached(chart, "all rows snapshotted", runs, r -> r.seconds);
        addReached(chart, "txn over all tables arrives", runs, r -> r.txnSeconds);
        addReached(chart, "same txn after a restore", runs, r -> r.restoreTxnSeconds);
        addReached(chart, "restore to streaming", runs, r -> r.restoreSeconds);
        saveUnlessEmpty(chart, file);
    }

    /** A series of the runs that reached the step (value > 0). */
    private static void addReached(
            XYChart chart,
            String name,
            List<BenchResult> runs,
            ToDoubleFunction<BenchResult> value) {
        List<BenchResult> reached =
                runs.stream().filter(r -> value.applyAsDouble(r) > 0).collect(Collectors.toList());
        if (!reached.isEmpty()) {
            chart.addSeries(
                    name,
                    reached.stream().mapToDouble(r -> r.tables).toArray(),
                    reached.stream().mapToDouble(value).toArray());
        }
    }

    /** Events/s per workload, our source (A) beside the plain replication stream (R). */
    private static void streamThroughputPlot(List<BenchResult> results, Path file)
            throws IOException {
        List<BenchResult> runs = ofKind(results, "throughput");
        if (runs.isEmpty()) {
            return;
        }
        CategoryChart chart =
                new CategoryChartBuilder()
                        .width(900)
                        .height(450)
                        .title("Streaming throughput: a backlog read from the slot")
                        .xAxisTitle("workload")
                        .yAxisTitle("events/s")
                        .build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        for (String variant : new String[] {"R", "A"}) {
            List<BenchResult> ofVariant =
                    runs.stream()
                            .filter(r -> r.variant.equals(variant))
                            .collect(Collectors.toList());
            if (!ofVariant.isEmpty()) {
                chart.addSeries(
                        variant.equals("R") ? "R (plain replication stream)" : "A (pgcdc)",
                        ofVariant.stream().map(r -> r.workload).collect(Collectors.toList()),
                        ofVariant.stream()
                                .map(r -> (Number) r.rowsPerSecond)
                                .collect(Collectors.toList()));
            }
        }
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static XYChart chart(
            String title, String xAxis, String yAxis, Styler.LegendPosition legend) {
        XYChart chart =
                new XYChartBuilder()
                        .width(900)
                        .height(450)
                        .title(title)
                        .xAxisTitle(xAxis)
                        .yAxisTitle(yAxis)
                        .build();
        chart.getStyler().setLegendPosition(legend);
        return chart;
    }

    /** A chart without a series (no run of that kind) is no plot. */
    private static void saveUnlessEmpty(XYChart chart, Path file) throws IOException {
        if (!chart.getSeriesMap().isEmpty()) {
            BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        }
    }
}
