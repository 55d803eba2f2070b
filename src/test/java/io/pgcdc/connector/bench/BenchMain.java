package io.pgcdc.connector.bench;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.cdc.common.event.Event;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import io.pgcdc.connector.source.PostgresDataSource;
import io.pgcdc.connector.testbed.ConnectionSampler;
import io.pgcdc.connector.testbed.PostgresServer;
import io.pgcdc.connector.testbed.SourceConfigs;
import io.pgcdc.connector.testbed.StockSource;
import io.pgcdc.connector.testbed.TestDatabase;
import io.pgcdc.connector.testbed.TestDatabases;
import org.postgresql.PGConnection;

import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The benchmark: our source (A) against the same incremental source built with the stock upstream
 * {@code PostgresDialect} (B at Debezium's defaults, B50 with a 50 ms poll interval) and a {@code
 * COPY ... TO STDOUT} baseline (C), alternating over rounds on one embedded PostgreSQL (or {@code
 * PG_TEST_URL}). Writes results.csv, results.json, results.md and PNG plots to {@code bench.out}.
 * Settings are system properties, see {@link BenchSettings}.
 */
public final class BenchMain {

    private final BenchSettings settings;
    private final TestDatabase db;
    private final long tableBytes;

    private BenchMain(BenchSettings settings, TestDatabase db, long tableBytes) {
        this.settings = settings;
        this.db = db;
        this.tableBytes = tableBytes;
    }

    public static void main(String[] args) throws Exception {
        BenchSettings settings = BenchSettings.fromSystemProperties();
        List<BenchResult> results = run(settings);
        System.out.println(BenchReport.write(settings, results));
        System.exit(0);
    }

    /** Runs the benchmark's phases ({@code bench.phases}); returns the results. */
    static List<BenchResult> run(BenchSettings settings) throws Exception {
        System.out.println("bench: " + settings);
        List<BenchResult> results = new ArrayList<>();
        TestDatabase db = TestDatabases.create(PostgresServer.get());
        try {
            if (settings.runs("snapshot") || settings.runs("stream")) {
                long bytes = createTable(db, settings.rows);
                BenchMain bench = new BenchMain(settings, db, bytes);
                if (settings.runs("snapshot")) {
                    results.addAll(bench.snapshots());
                }
                if (settings.runs("stream")) {
                    for (String variant : settings.streamVariants) {
                        results.add(bench.runStream(variant));
                    }
                }
            }
            if (settings.runs("throughput")) {
                try {
                    results.addAll(StreamThroughputPhase.run(settings, db));
                } catch (Exception e) {
                    // the other phases' results are still written
                    System.out.println("bench: the throughput phase failed");
                    e.printStackTrace(System.out);
                }
            }
        } finally {
            TestDatabases.drop(db);
        }
        if (settings.runs("tables")) {
            results.addAll(TablesPhase.run(settings));
        }
        return results;
    }

    /** The snapshot phase: every configuration's variants and the COPY baseline, per round. */
    private List<BenchResult> snapshots() throws Exception {
        if (settings.warmup) {
            // the first job in the JVM pays for class loading and JIT: not measured
            for (String variant : settings.variants) {
                runSnapshot(0, variant, settings.splits.get(0), 1, false, Duration.ofSeconds(5));
            }
        }
        List<BenchResult> results = new ArrayList<>();
        for (int round = 1; round <= settings.rounds; round++) {
            for (int splits : settings.splits) {
                for (int parallelism : settings.parallelisms) {
                    for (boolean backfill : settings.backfills) {
                        if (backfill
                                && !settings.backfillOnSplits.isEmpty()
                                && !settings.backfillOnSplits.contains(splits)) {
                            continue;
                        }
                        for (String variant : settings.variants) {
                            if (variant.equals("B")
                                    && !settings.stockDefaultSplits.contains(splits)) {
                                continue; // B at 500 ms per split: only where asked
                            }
                            Duration window = variant.equals("A") ? Duration.ZERO : settings.window;
                            results.add(
                                    runSnapshot(
                                            round, variant, splits, parallelism, backfill, window));
                        }
                    }
                }
            }
            results.add(runCopy(round));
        }
        return results;
    }

    /** A table of ~200-byte rows of mixed types; returns its size in bytes. */
    private static long createTable(TestDatabase db, long rows) {
        db.execute(
                "CREATE TABLE bench_t (id BIGINT PRIMARY KEY, c_int INT, c_bigint BIGINT, c_num"
                    + " NUMERIC(12,2), c_double DOUBLE PRECISION, c_bool BOOLEAN, c_text TEXT,"
                    + " c_varchar VARCHAR(32), c_date DATE, c_ts TIMESTAMP, c_tstz TIMESTAMPTZ)",
                "INSERT INTO bench_t SELECT i, (i % 100000)::int, i * 31, (i % 1000000) / 100.0, i"
                    + " / 7.0, i % 2 = 0, repeat(md5(i::text), 3), 'v-' || i, DATE '2020-01-01' +"
                    + " (i % 2000)::int, TIMESTAMP '2020-01-01' + i * INTERVAL '1 second',"
                    + " TIMESTAMPTZ '2020-01-01 00:00:00+00' + i * INTERVAL '1 second' FROM"
                    + " generate_series(1, "
                        + rows
                        + ") i",
                "ANALYZE bench_t");
        return db.queryLong("SELECT pg_table_size('bench_t')");
    }

    /**
     * One snapshot. A stock run still reading when the window (from its first row) ends is stopped
     * there and measured over what it read: its per-split cost makes a full run of B at 2,000
     * splits take about 20 minutes alone.
     */
    private BenchResult runSnapshot(
            int round,
            String variant,
            int splits,
            int parallelism,
            boolean backfill,
            Duration window)
            throws Exception {
        long chunkSize = Math.max(1, (settings.rows + splits - 1) / splits);
        BenchResult result = BenchResult.snapshot(round, variant, splits, parallelism, backfill);
        Map<String, String> options = options(variant, "initial");
        options.put("scan.incremental.snapshot.chunk.size", String.valueOf(chunkSize));
        options.put("scan.incremental.snapshot.backfill.skip", String.valueOf(!backfill));
        boolean windowed = !window.isZero();
        runJob(
                variant,
                options,
                parallelism,
                (run, client, sampler, start) -> {
                    BenchJobs.await(
                            () ->
                                    run.rows.get() >= settings.rows
                                            || (windowed
                                                    && run.firstRowNanos != 0
                                                    && System.nanoTime() - run.firstRowNanos
                                                            >= window.toNanos()),
                            settings.timeout,
                            client);
                    long end = System.nanoTime();
                    result.rows = Math.min(run.rows.get(), settings.rows);
                    result.complete = result.rows >= settings.rows;
                    result.firstRowSeconds = (run.firstRowNanos - start) / 1e9;
                    result.rowsPerSecond = result.rows / ((end - run.firstRowNanos) / 1e9);
                    result.seconds =
                            result.complete
                                    ? (end - start) / 1e9
                                    : result.firstRowSeconds + settings.rows / result.rowsPerSecond;
                    result.mbPerSecond = result.rowsPerSecond * tableBytes / settings.rows / 1e6;
                    result.opened = sampler.opened();
                    result.openedPerSplit =
                            result.opened / Math.max(1.0, (double) result.rows / chunkSize);
                    result.peak = sampler.peak();
                    result.timeline = sampler.timeline();
                },
                result);
        System.out.println("bench: " + (round == 0 ? "warm-up " : "") + result);
        return result;
    }

    /**
     * Updates at a fixed rate against a source started at the latest offset; commit-to-event
     * latency.
     */
    private BenchResult runStream(String variant) throws Exception {
        BenchResult result = BenchResult.stream(variant);
        runJob(
                variant,
                options(variant, "latest-offset"),
                1,
                (run, client, sampler, start) -> {
                    streamPhase(variant, run, result, client);
                    result.opened = sampler.opened();
                    result.peak = sampler.peak();
                },
                result);
        System.out.println("bench: " + result);
        return result;
    }

    private interface Measurement {
        void measure(
                BenchSink.Run run, JobClient client, ConnectionSampler sampler, long startNanos)
                throws Exception;
    }

    /**
     * Runs a job of the variant's source into the counting sink, measures it, cancels it, cleans
     * up.
     */
    private void runJob(
            String variant,
            Map<String, String> options,
            int parallelism,
            Measurement measurement,
            BenchResult result)
            throws Exception {
        String runId = UUID.randomUUID().toString();
        Source<Event, ?, ?> source = source(variant, options);
        Configuration conf = new Configuration();
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.createLocalEnvironment(parallelism, conf);
        env.enableCheckpointing(1000);
        env.fromSource(source, WatermarkStrategy.noWatermarks(), "postgres")
                .setParallelism(parallelism)
                .addSink(new BenchSink(runId))
                .setParallelism(1);
        resetHeapPeak();
        try (ConnectionSampler sampler = new ConnectionSampler(db)) {
            long start = System.nanoTime();
            JobClient client = env.executeAsync("bench-" + variant);
            try {
                measurement.measure(BenchSink.run(runId), client, sampler, start);
            } finally {
                client.cancel().get(60, TimeUnit.SECONDS);
                try {
                    client.getJobExecutionResult()
                            .get(60, TimeUnit.SECONDS); // ends when every task closed
                } catch (Exception cancelled) {
                    // a cancelled job's result is its cancellation
                }
            }
            TestDatabase.await(Duration.ofSeconds(10), () -> db.connectorSessions().isEmpty());
            Map<Integer, String> left = db.connectorSessions();
            result.left = left.size();
            if (!left.isEmpty()) {
                System.out.println(
                        "bench: "
                                + variant
                                + " left sessions 10 s after the job ended: "
                                + db.query(
                                        "SELECT pid, application_name, backend_type, state,"
                                            + " backend_start, state_change, left(query, 120) FROM"
                                            + " pg_stat_activity WHERE pid IN ("
                                                + left.keySet().stream()
                                                        .map(String::valueOf)
                                                        .collect(Collectors.joining(","))
                                                + ")"));
            }
            result.heapPeakMb = heapPeak() / 1e6;
        } finally {
            BenchSink.forget(runId);
            // the stock dialect's JVM-wide pools keep connections: count them (above), then end
            // them
            // so the next run starts from an empty server
            db.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname ="
                            + " current_database() AND pid <> pg_backend_pid() AND"
                            + " coalesce(application_name, '') <> 'test-harness'");
            TestDatabase.await(Duration.ofSeconds(10), () -> db.connectorSessions().isEmpty());
            db.execute(
                    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                            + " WHERE database = current_database() AND NOT active");
        }
    }

    private Map<String, String> options(String variant, String startupMode) {
        Map<String, String> options = SourceConfigs.connection(db, db.name() + ".public.bench_t");
        options.put("slot.name", db.slotName() + "_" + variant.toLowerCase());
        options.put("scan.startup.mode", startupMode);
        options.put("metadata.list", "op_ts");
        if (variant.equals("B")) {
            options.put("debezium.poll.interval.ms", "500"); // Debezium's default, as upstream runs
        } else if (variant.equals("B50")) {
            options.put("debezium.poll.interval.ms", "50");
        }
        return options;
    }

    private Source<Event, ?, ?> source(String variant, Map<String, String> options) {
        PostgresDataSource dataSource = (PostgresDataSource) SourceConfigs.create(options);
        if (variant.equals("A")) {
            return dataSource.createSource();
        }
        return StockSource.of(dataSource);
    }

    /** Updates at a fixed rate, one transaction per 10 ms tick; commit-to-event latency. */
    private void streamPhase(
            String variant, BenchSink.Run run, BenchResult result, JobClient client)
            throws Exception {
        int perTick = Math.max(1, settings.streamRate / 100);
        long ticks = (settings.streamUpdates + perTick - 1) / perTick;
        try (Connection c = db.connect();
                Statement s = c.createStatement()) {
            // The embedded test server runs with synchronous_commit=off, where WAL reaches the
            // walsender only at the WAL writer's next flush (up to 200 ms later). Measure as on a
            // default server: each update's commit is flushed.
            s.execute("SET synchronous_commit = on");
            // updates count once the stream reads the slot (the stream split starts after a
            // checkpoint)
            BenchJobs.await(
                    () -> db.globalSlotReader(db.slotName() + "_" + variant.toLowerCase()) != null,
                    Duration.ofMinutes(2),
                    client);
            long next = System.nanoTime();
            long id = 1;
            for (long tick = 0; tick < ticks; tick++) {
                long last = Math.min(settings.rows, id + perTick - 1);
                s.execute(
                        "UPDATE bench_t SET c_int = c_int + 1 WHERE id BETWEEN "
                                + id
                                + " AND "
                                + last);
                id = last >= settings.rows ? 1 : last + 1;
                next += TimeUnit.MILLISECONDS.toNanos(10);
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(
                            wait); // pacing the load generator, not synchronisation
                }
            }
        }
        long expected = ticks * perTick;
        result.updates = (int) expected;
        BenchJobs.await(() -> run.latencies().size() >= expected, Duration.ofMinutes(5), client);
        List<Long> latencies = run.latencies();
        Collections.sort(latencies);
        result.latencyP50 = latencies.get(latencies.size() / 2);
        result.latencyP99 =
                latencies.get(
                        (int)
                                Math.min(
                                        latencies.size() - 1,
                                        Math.ceil(latencies.size() * 0.99) - 1));
        result.latencyMax = latencies.get(latencies.size() - 1);
    }

    /** C: the rows through pgjdbc's CopyManager, bytes counted and discarded. */
    private BenchResult runCopy(int round) throws Exception {
        BenchResult result = BenchResult.copy(round);
        long[] bytes = {0};
        OutputStream discard =
                new OutputStream() {
                    @Override
                    public void write(int b) {
                        bytes[0]++;
                    }

                    @Override
                    public void write(byte[] b, int off, int len) {
                        bytes[0] += len;
                    }
                };
        try (Connection c = db.connect()) {
            long start = System.nanoTime();
            c.unwrap(PGConnection.class)
                    .getCopyAPI()
                    .copyOut("COPY (SELECT * FROM bench_t) TO STDOUT", discard);
            result.seconds = (System.nanoTime() - start) / 1e9;
        }
        result.rows = settings.rows;
        result.rowsPerSecond = settings.rows / result.seconds;
        result.mbPerSecond = tableBytes / 1e6 / result.seconds;
        result.opened = 1;
        result.peak = 1;
        System.out.println("bench: " + result + " (" + bytes[0] / 1_000_000 + " MB of COPY text)");
        return result;
    }

    private static void resetHeapPeak() {
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                pool.resetPeakUsage();
            }
        }
    }

    private static long heapPeak() {
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        return peak;
    }

    static List<String> words(String csv) {
        return Arrays.stream(csv.split(","))
                .map(String::trim)
                .filter(v -> !v.isEmpty())
                .collect(Collectors.toList());
    }

    static List<Integer> ints(String csv) {
        return Arrays.stream(csv.split(","))
                .filter(v -> !v.trim().isEmpty())
                .map(String::trim)
                .map(Integer::valueOf)
                .collect(Collectors.toList());
    }
}
