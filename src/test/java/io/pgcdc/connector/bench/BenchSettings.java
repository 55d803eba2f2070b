package io.pgcdc.connector.bench;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/** The benchmark's settings, from system properties {@code bench.*} (defaults in brackets). */
final class BenchSettings {

    final long rows; // bench.rows [2000000]
    final int rounds; // bench.rounds [2]
    final List<Integer> splits; // bench.splits [50,500,2000]
    final List<Integer> parallelisms; // bench.parallelism [1,2]
    final List<Boolean> backfills; // bench.backfill [off,on]
    final List<Integer>
            backfillOnSplits; // bench.backfill-on-splits [500]: backfill=on only there; empty = all
    final List<String> variants; // bench.variants [A,B50,B]
    final List<Integer>
            stockDefaultSplits; // bench.stock-default-splits [500,2000]: B (500 ms poll) only there
    final Duration
            window; // bench.window-seconds [20]: a stock run still snapshotting then is measured so
    // far
    final List<String> streamVariants; // bench.stream.variants [A,B50]: streaming phase, round 1
    final int streamUpdates; // bench.stream.updates [100000]
    final int streamRate; // bench.stream.rate [5000] updates/s
    final boolean warmup; // bench.warmup [true]: one short unmeasured run per variant first
    final Duration timeout; // bench.timeout-minutes [30] per snapshot
    final Path out; // bench.out [target/bench]
    final List<String> phases; // bench.phases [snapshot,stream,tables,throughput]
    final List<Integer> tables; // bench.tables [100,1000,10000]: the tables phase's table counts
    final int tablesParallelism; // bench.tables.parallelism [2]
    final int throughputRows; // bench.throughput.rows [1000000]: rows of the one big transaction
    final int throughputTxns; // bench.throughput.txns [100000]: one-row transactions

    private BenchSettings(java.util.function.BiFunction<String, String, String> get) {
        rows = Long.parseLong(get.apply("rows", "2000000"));
        rounds = Integer.parseInt(get.apply("rounds", "2"));
        splits = BenchMain.ints(get.apply("splits", "50,500,2000"));
        parallelisms = BenchMain.ints(get.apply("parallelism", "1,2"));
        backfills =
                Arrays.stream(get.apply("backfill", "off,on").split(","))
                        .map(v -> v.trim().equals("on"))
                        .collect(Collectors.toList());
        backfillOnSplits = BenchMain.ints(get.apply("backfill-on-splits", "500"));
        variants = BenchMain.words(get.apply("variants", "A,B50,B"));
        stockDefaultSplits = BenchMain.ints(get.apply("stock-default-splits", "500,2000"));
        window = Duration.ofSeconds(Long.parseLong(get.apply("window-seconds", "20")));
        streamVariants = BenchMain.words(get.apply("stream.variants", "A,B50"));
        streamUpdates = Integer.parseInt(get.apply("stream.updates", "100000"));
        streamRate = Integer.parseInt(get.apply("stream.rate", "5000"));
        warmup = Boolean.parseBoolean(get.apply("warmup", "true"));
        timeout = Duration.ofMinutes(Long.parseLong(get.apply("timeout-minutes", "30")));
        out = Paths.get(get.apply("out", "target/bench"));
        phases = BenchMain.words(get.apply("phases", "snapshot,stream,tables,throughput"));
        tables = BenchMain.ints(get.apply("tables", "100,1000,10000"));
        tablesParallelism = Integer.parseInt(get.apply("tables.parallelism", "2"));
        throughputRows = Integer.parseInt(get.apply("throughput.rows", "1000000"));
        throughputTxns = Integer.parseInt(get.apply("throughput.txns", "100000"));
    }

    static BenchSettings fromSystemProperties() {
        return new BenchSettings((key, fallback) -> System.getProperty("bench." + key, fallback));
    }

    boolean runs(String phase) {
        return phases.contains(phase);
    }

    /** Settings from a map (tests), falling back to the defaults. */
    static BenchSettings of(java.util.Map<String, String> values) {
        return new BenchSettings((key, fallback) -> values.getOrDefault(key, fallback));
    }

    @Override
    public String toString() {
        return "rows="
                + rows
                + " rounds="
                + rounds
                + " splits="
                + splits
                + " parallelism="
                + parallelisms
                + " backfill="
                + backfills
                + " (on at splits "
                + (backfillOnSplits.isEmpty() ? "all" : backfillOnSplits)
                + ") variants="
                + variants
                + " B(default poll) at splits="
                + stockDefaultSplits
                + " window="
                + window.getSeconds()
                + "s stream="
                + streamVariants
                + " "
                + streamUpdates
                + "@"
                + streamRate
                + "/s tables="
                + tables
                + "@p"
                + tablesParallelism
                + " throughput="
                + throughputRows
                + "x1,"
                + throughputTxns
                + "x1 phases="
                + phases
                + " out="
                + out;
    }
}
