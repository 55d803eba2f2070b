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
    final List<String> variants; // bench.variants [A,B50,B]
    final List<Integer> stockDefaultSplits; // bench.stock-default-splits [50]: B (500 ms poll) only there
    final int streamUpdates; // bench.stream.updates [100000]
    final int streamRate; // bench.stream.rate [5000] updates/s
    final boolean streamEveryRound; // bench.stream.every-round [false]
    final Duration timeout; // bench.timeout-minutes [30] per snapshot
    final Path out; // bench.out [target/bench]

    private BenchSettings(java.util.function.BiFunction<String, String, String> get) {
        rows = Long.parseLong(get.apply("rows", "2000000"));
        rounds = Integer.parseInt(get.apply("rounds", "2"));
        splits = BenchMain.ints(get.apply("splits", "50,500,2000"));
        parallelisms = BenchMain.ints(get.apply("parallelism", "1,2"));
        backfills = Arrays.stream(get.apply("backfill", "off,on").split(","))
                .map(v -> v.trim().equals("on"))
                .collect(Collectors.toList());
        variants = Arrays.asList(get.apply("variants", "A,B50,B").split(","));
        stockDefaultSplits = BenchMain.ints(get.apply("stock-default-splits", "50"));
        streamUpdates = Integer.parseInt(get.apply("stream.updates", "100000"));
        streamRate = Integer.parseInt(get.apply("stream.rate", "5000"));
        streamEveryRound = Boolean.parseBoolean(get.apply("stream.every-round", "false"));
        timeout = Duration.ofMinutes(Long.parseLong(get.apply("timeout-minutes", "30")));
        out = Paths.get(get.apply("out", "target/bench"));
    }

    static BenchSettings fromSystemProperties() {
        return new BenchSettings((key, fallback) -> System.getProperty("bench." + key, fallback));
    }

    /** Settings from a map (tests), falling back to the defaults. */
    static BenchSettings of(java.util.Map<String, String> values) {
        return new BenchSettings((key, fallback) -> values.getOrDefault(key, fallback));
    }

    @Override
    public String toString() {
        return "rows=" + rows + " rounds=" + rounds + " splits=" + splits + " parallelism=" + parallelisms
                + " backfill=" + backfills + " variants=" + variants + " B(default poll) at splits="
                + stockDefaultSplits + " stream=" + streamUpdates + "@" + streamRate + "/s out=" + out;
    }
}
