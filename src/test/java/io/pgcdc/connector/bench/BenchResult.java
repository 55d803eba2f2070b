package io.pgcdc.connector.bench;

import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * One run's figures: a snapshot run, the COPY baseline, a streaming-latency run, a whole-database
 * run ({@code tables}) or a streaming-throughput run ({@code throughput}).
 */
final class BenchResult {

    final int round;
    final String variant;
    final String kind; // snapshot | copy | stream | tables | throughput
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

    /** Tables captured (tables phase). */
    int tables;

    /** Submission to the stream reading the slot (tables phase; -1 = not reached). */
    double streamingSeconds = -1;

    /** One transaction that changes a row in every table: commit to its last change (-1 = not). */
    double txnSeconds = -1;

    /** Restore from a savepoint to the stream reading the slot again (tables phase). */
    double restoreSeconds = -1;

    /** The same transaction right after that restore: commit to its last change. */
    double restoreTxnSeconds = -1;

    /** Size of the job's savepoint on disk (tables phase; -1 = not taken). */
    long stateBytes = -1;

    /** Heap still used after a GC while the job streams, less the heap before it (tables phase). */
    double retainedHeapMb = -1;

    /** What a throughput run reads, e.g. "1 txn x 1,000,000 rows" (throughput phase). */
    String workload = "";

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

    static BenchResult tables(int tables, int parallelism) {
        BenchResult result = new BenchResult("tables", 1, "A", 0, parallelism, false);
        result.tables = tables;
        return result;
    }

    /** A throughput run: variant A (our source) or R (a plain pgjdbc replication stream). */
    static BenchResult throughput(String variant, String workload) {
        BenchResult result = new BenchResult("throughput", 1, variant, 0, 1, false);
        result.workload = workload;
        return result;
    }

    /** The configuration, without the variant and round. */
    String config() {
        switch (kind) {
            case "copy":
                return "copy";
            case "stream":
                return "stream";
            case "tables":
                return tables + " tables, p=" + parallelism;
            case "throughput":
                return workload + ", p=" + parallelism;
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
                   + "opened,opened_per_split,peak,left,heap_peak_mb,updates,latency_p50_ms,latency_p99_ms,latency_max_ms,"
                   + "tables,streaming_s,txn_s,restore_s,restore_txn_s,state_bytes,retained_heap_mb,workload";
    }

    String csv() {
        return String.format(
                Locale.ROOT,
                "%d,%s,%s,%d,%d,%s,%s,%d,%.3f,%.3f,%.0f,%.2f,%d,%.4f,%d,%d,%.0f,%d,%d,%d,%d,%d,%.3f,%.3f,%.3f,%.3f,%d,%.1f,\"%s\"",
                values(backfill ? "on" : "off"));
    }

    String json() {
        return String.format(
                Locale.ROOT,
                "{\"round\":%d,\"kind\":\"%s\",\"variant\":\"%s\",\"splits\":%d,\"parallelism\":%d,\"backfill\":%s,"
                    + "\"complete\":%s,\"rows\":%d,\"seconds\":%.3f,\"firstRowSeconds\":%.3f,\"rowsPerSecond\":%.0f,"
                    + "\"mbPerSecond\":%.2f,\"opened\":%d,\"openedPerSplit\":%.4f,\"peak\":%d,\"left\":%d,"
                    + "\"heapPeakMb\":%.0f,\"updates\":%d,\"latencyP50Ms\":%d,\"latencyP99Ms\":%d,\"latencyMaxMs\":%d,"
                    + "\"tables\":%d,\"streamingSeconds\":%.3f,\"txnSeconds\":%.3f,\"restoreSeconds\":%.3f,"
                    + "\"restoreTxnSeconds\":%.3f,\"stateBytes\":%d,\"retainedHeapMb\":%.1f,\"workload\":\"%s\"}",
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
            latencyMax,
            tables,
            streamingSeconds,
            txnSeconds,
            restoreSeconds,
            restoreTxnSeconds,
            stateBytes,
            retainedHeapMb,
            workload
        };
    }

    @Override
    public String toString() {
        return csv();
    }
}
