package io.pgcdc.connector.bench;

import java.util.Collections;
import java.util.List;
import java.util.Locale;

/** One run's figures: a snapshot run, the COPY baseline, or a streaming run. */
final class BenchResult {

    final int round;
    final String variant;
    final String kind; // snapshot | copy | stream
    final int splits;
    final int parallelism;
    final boolean backfill;

    /** Submission to the last row; for a run stopped at the window, the estimate at its rate. */
    double seconds;

    /** Submission to the first row: job start, enumeration, first split. */
    double firstRowSeconds;

    /** False when the run was stopped at the window before its snapshot ended. */
    boolean complete = true;

    long rows;

    /** Rows per second from the first row to the last (or to the end of the window). */
    double rowsPerSecond;

    double mbPerSecond;
    int opened;
    double openedPerSplit;
    int peak;
    int left;
    double heapPeakMb;
    int updates;
    long latencyP50 = -1;
    long latencyP99 = -1;
    long latencyMax = -1;
    List<long[]> timeline = Collections.emptyList();

    private BenchResult(
            String kind, int round, String variant, int splits, int parallelism, boolean backfill) {
        this.kind = kind;
        this.round = round;
        this.variant = variant;
        this.splits = splits;
        this.parallelism = parallelism;
        this.backfill = backfill;
    }

    static BenchResult snapshot(
            int round, String variant, int splits, int parallelism, boolean backfill) {
        return new BenchResult("snapshot", round, variant, splits, parallelism, backfill);
    }

    static BenchResult copy(int round) {
        return new BenchResult("copy", round, "C", 0, 1, false);
    }

    static BenchResult stream(String variant) {
        return new BenchResult("stream", 1, variant, 0, 1, false);
    }

    /** The configuration, without the variant and round. */
    String config() {
        switch (kind) {
            case "copy":
                return "copy";
            case "stream":
                return "stream";
            default:
                return splits
                        + " splits, p="
                        + parallelism
                        + ", backfill "
                        + (backfill ? "on" : "off");
        }
    }

    static String csvHeader() {
        return "round,kind,variant,splits,parallelism,backfill,complete,rows,seconds,first_row_s,rows_per_s,mb_per_s,"
                   + "opened,opened_per_split,peak,left,heap_peak_mb,updates,latency_p50_ms,latency_p99_ms,latency_max_ms";
    }

    String csv() {
        return String.format(
                Locale.ROOT,
                "%d,%s,%s,%d,%d,%s,%s,%d,%.3f,%.3f,%.0f,%.2f,%d,%.4f,%d,%d,%.0f,%d,%d,%d,%d",
                values(backfill ? "on" : "off"));
    }

    String json() {
        return String.format(
                Locale.ROOT,
                "{\"round\":%d,\"kind\":\"%s\",\"variant\":\"%s\",\"splits\":%d,\"parallelism\":%d,\"backfill\":%s,"
                    + "\"complete\":%s,\"rows\":%d,\"seconds\":%.3f,\"firstRowSeconds\":%.3f,\"rowsPerSecond\":%.0f,"
                    + "\"mbPerSecond\":%.2f,\"opened\":%d,\"openedPerSplit\":%.4f,\"peak\":%d,\"left\":%d,"
                    + "\"heapPeakMb\":%.0f,\"updates\":%d,\"latencyP50Ms\":%d,\"latencyP99Ms\":%d,\"latencyMaxMs\":%d}",
                values(backfill));
    }

    /**
     * The figures in the order of {@link #csvHeader()}, for both formats; they differ only in how
     * the backfill setting is written.
     */
    private Object[] values(Object backfillAs) {
        return new Object[] {
            round,
            kind,
            variant,
            splits,
            parallelism,
            backfillAs,
            complete,
            rows,
            seconds,
            firstRowSeconds,
            rowsPerSecond,
            mbPerSecond,
            opened,
            openedPerSplit,
            peak,
            left,
            heapPeakMb,
            updates,
            latencyP50,
            latencyP99,
            latencyMax
        };
    }

    @Override
    public String toString() {
        return csv();
    }
}
