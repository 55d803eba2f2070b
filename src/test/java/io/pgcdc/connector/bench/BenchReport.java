package io.pgcdc.connector.bench;

import org.knowm.xchart.BitmapEncoder;
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
        return markdown;
    }

    /**
     * Medians over rounds per configuration and variant; ratios are medians of per-round ratios.
     */
    static String markdown(BenchSettings settings, List<BenchResult> results) {
        StringBuilder md = new StringBuilder();
        md.append(
                String.format(
                        Locale.ROOT,
                        "Benchmark: %,d rows, %d round(s). A = pgcdc, B = stock dialect (Debezium"
                            + " defaults), B50 = stock with `debezium.poll.interval.ms: 50`, C ="
                            + " COPY TO STDOUT. rows/s counts from the first row to the last. A"
                            + " stock run still snapshotting %d s after its first row is stopped"
                            + " and measured over that window; its snapshot time (~) is the"
                            + " estimate at that rate.%n%n",
                        settings.rows,
                        settings.rounds,
                        settings.window.getSeconds()));
        md.append(
                "| configuration | variant | snapshot s | first row s | rows/s | MB/s | opened |"
                        + " opened/split | peak | left | heap MB | A/B | A/B50 | A/C |\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        Map<String, List<BenchResult>> byConfig = new LinkedHashMap<>();
        for (BenchResult r : results) {
            if (!r.kind.equals("stream")) {
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
                            "| %s | %s | %s%.1f | %.1f | %,.0f | %.1f | %.0f | %.3f | %.0f | %.0f |"
                                    + " %.0f | %s | %s | %s |%n",
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
        return md.toString();
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
