package io.pgcdc.connector.bench;

import java.util.Collections;
import java.util.List;
import java.util.Locale;

/** One run's figures. */
final class BenchResult {

    final int round;
    final String variant;
    final int splits;
    final int parallelism;
    final boolean backfill;
    double seconds;
    double rowsPerSecond;
    double mbPerSecond;
    int opened;
    int peak;
    int left;
    double heapPeakMb;
    long latencyP50 = -1;
    long latencyP99 = -1;
    long latencyMax = -1;
    List<long[]> timeline = Collections.emptyList();

    BenchResult(int round, String variant, int splits, int parallelism, boolean backfill) {
        this.round = round;
        this.variant = variant;
        this.splits = splits;
        this.parallelism = parallelism;
        this.backfill = backfill;
    }

    /** The configuration, without the variant and round. */
    String config() {
        return variant.equals("C") ? "copy" : splits + " splits, p=" + parallelism + ", backfill " + (backfill ? "on" : "off");
    }

    static String csvHeader() {
        return "round,variant,splits,parallelism,backfill,seconds,rows_per_s,mb_per_s,opened,peak,left,heap_peak_mb,"
                + "latency_p50_ms,latency_p99_ms,latency_max_ms";
    }

    String csv() {
        return String.format(Locale.ROOT, "%d,%s,%d,%d,%s,%.3f,%.0f,%.2f,%d,%d,%d,%.0f,%d,%d,%d",
                round, variant, splits, parallelism, backfill ? "on" : "off", seconds, rowsPerSecond, mbPerSecond,
                opened, peak, left, heapPeakMb, latencyP50, latencyP99, latencyMax);
    }

    String json() {
        return String.format(Locale.ROOT,
                "{\"round\":%d,\"variant\":\"%s\",\"splits\":%d,\"parallelism\":%d,\"backfill\":%s,\"seconds\":%.3f,"
                        + "\"rowsPerSecond\":%.0f,\"mbPerSecond\":%.2f,\"opened\":%d,\"peak\":%d,\"left\":%d,"
                        + "\"heapPeakMb\":%.0f,\"latencyP50Ms\":%d,\"latencyP99Ms\":%d,\"latencyMaxMs\":%d}",
                round, variant, splits, parallelism, backfill, seconds, rowsPerSecond, mbPerSecond, opened, peak, left,
                heapPeakMb, latencyP50, latencyP99, latencyMax);
    }

    @Override
    public String toString() {
        return csv();
    }
}
