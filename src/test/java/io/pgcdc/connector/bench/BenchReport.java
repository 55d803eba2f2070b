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
                        results.stream().map(BenchResult::json).collect(Collectors.joining(",\n  ", "[\n  ", "\n]"))),
                StandardCharsets.UTF_8);
        String markdown = markdown(settings, results);
        Files.write(out.resolve("results.md"), Collections.singletonList(markdown), StandardCharsets.UTF_8);
        connectionsPlot(results, out.resolve("connections.png"));
        throughputPlot(results, out.resolve("rows-per-second.png"));
        return markdown;
    }

    /** Medians over rounds per configuration and variant; ratios are medians of per-round ratios. */
    static String markdown(BenchSettings settings, List<BenchResult> results) {
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "Benchmark: %,d rows, %d round(s). A = pgcdc, B = stock dialect"
                + " (Debezium defaults), B50 = stock with `debezium.poll.interval.ms: 50`, C = COPY TO STDOUT.%n%n",
                settings.rows, settings.rounds));
        md.append("| configuration | variant | snapshot s | rows/s | MB/s | opened | peak | left | heap MB"
                + " | latency p50 / p99 / max ms | A/B | A/B50 | A/C |\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        Map<String, List<BenchResult>> byConfig = new LinkedHashMap<>();
        for (BenchResult r : results) {
            byConfig.computeIfAbsent(r.config() + "|" + r.variant, k -> new ArrayList<>()).add(r);
        }
        for (List<BenchResult> runs : byConfig.values()) {
            BenchResult first = runs.get(0);
            String latency = first.latencyP50 < 0 ? "" : first.latencyP50 + " / " + first.latencyP99 + " / " + first.latencyMax;
            md.append(String.format(Locale.ROOT, "| %s | %s | %.1f | %,.0f | %.1f | %.0f | %.0f | %.0f | %.0f | %s | %s | %s | %s |%n",
                    first.config(), first.variant,
                    median(runs, r -> r.seconds), median(runs, r -> r.rowsPerSecond), median(runs, r -> r.mbPerSecond),
                    median(runs, r -> r.opened), median(runs, r -> r.peak), median(runs, r -> r.left),
                    median(runs, r -> r.heapPeakMb), latency,
                    first.variant.equals("A") ? ratio(results, first, "B") : "",
                    first.variant.equals("A") ? ratio(results, first, "B50") : "",
                    first.variant.equals("A") ? ratio(results, first, "C") : ""));
        }
        return md.toString();
    }

    /** Median over rounds of A's rows/s divided by the other variant's, in the same round. */
    private static String ratio(List<BenchResult> results, BenchResult a, String other) {
        List<Double> ratios = new ArrayList<>();
        for (BenchResult ours : results) {
            if (!ours.variant.equals("A") || !ours.config().equals(a.config())) {
                continue;
            }
            Optional<BenchResult> theirs = results.stream()
                    .filter(r -> r.round == ours.round && r.variant.equals(other)
                            && (other.equals("C") || r.config().equals(ours.config())))
                    .findFirst();
            theirs.ifPresent(t -> ratios.add(ours.rowsPerSecond / t.rowsPerSecond));
        }
        if (ratios.isEmpty()) {
            return "";
        }
        Collections.sort(ratios);
        return String.format(Locale.ROOT, "%.2f", ratios.get(ratios.size() / 2));
    }

    private static double median(List<BenchResult> runs, ToDoubleFunction<BenchResult> value) {
        List<Double> values = runs.stream().mapToDouble(value).sorted().boxed().collect(Collectors.toList());
        return values.get(values.size() / 2);
    }

    /** Sessions over time for A and B (or B50) in the first round, at the largest split count. */
    private static void connectionsPlot(List<BenchResult> results, Path file) throws IOException {
        XYChart chart = new XYChartBuilder().width(900).height(450).title("Sessions on the database during the snapshot")
                .xAxisTitle("seconds since job start").yAxisTitle("sessions (sampled every 100 ms)").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        int maxSplits = results.stream().filter(r -> !r.variant.equals("C")).mapToInt(r -> r.splits).max().orElse(0);
        for (BenchResult r : results) {
            if (r.round == 1 && r.splits == maxSplits && !r.timeline.isEmpty() && !r.variant.equals("C")
                    && r.parallelism == results.get(0).parallelism && r.backfill == results.get(0).backfill) {
                double[] x = r.timeline.stream().mapToDouble(p -> p[0] / 1000.0).toArray();
                double[] y = r.timeline.stream().mapToDouble(p -> p[1]).toArray();
                chart.addSeries(r.variant + " (" + r.config() + ")", x, y);
            }
        }
        if (!chart.getSeriesMap().isEmpty()) {
            BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        }
    }

    /** Median rows/s per split count, one line per variant (first parallelism and backfill setting). */
    private static void throughputPlot(List<BenchResult> results, Path file) throws IOException {
        XYChart chart = new XYChartBuilder().width(900).height(450).title("Snapshot rows/s by number of splits")
                .xAxisTitle("splits").yAxisTitle("rows/s (median over rounds)").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        BenchResult reference = results.get(0);
        TreeSet<String> variants = results.stream().map(r -> r.variant).filter(v -> !v.equals("C"))
                .collect(Collectors.toCollection(TreeSet::new));
        for (String variant : variants) {
            Map<Integer, List<BenchResult>> bySplits = new java.util.TreeMap<>();
            for (BenchResult r : results) {
                if (r.variant.equals(variant) && r.parallelism == reference.parallelism && r.backfill == reference.backfill) {
                    bySplits.computeIfAbsent(r.splits, k -> new ArrayList<>()).add(r);
                }
            }
            if (!bySplits.isEmpty()) {
                double[] x = bySplits.keySet().stream().mapToDouble(Integer::doubleValue).toArray();
                double[] y = bySplits.values().stream().mapToDouble(runs -> median(runs, r -> r.rowsPerSecond)).toArray();
                chart.addSeries(variant, x, y);
            }
        }
        List<BenchResult> copies = results.stream().filter(r -> r.variant.equals("C")).collect(Collectors.toList());
        if (!copies.isEmpty() && !chart.getSeriesMap().isEmpty()) {
            double c = median(copies, r -> r.rowsPerSecond);
            double[] x = results.stream().filter(r -> !r.variant.equals("C")).mapToDouble(r -> r.splits).distinct().sorted().toArray();
            double[] y = new double[x.length];
            java.util.Arrays.fill(y, c);
            chart.addSeries("C (COPY)", x, y);
        }
        if (!chart.getSeriesMap().isEmpty()) {
            BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        }
    }
}
