package io.pgcdc.connector.bench;

import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;

import io.pgcdc.connector.source.PostgresDataSource;
import io.pgcdc.connector.testbed.ConnectionSampler;
import io.pgcdc.connector.testbed.PostgresServer;
import io.pgcdc.connector.testbed.SourceConfigs;
import io.pgcdc.connector.testbed.TestDatabase;
import io.pgcdc.connector.testbed.TestDatabases;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The benchmark's whole-database phase: for each table count N, N tables of 100 rows ({@code id int
 * primary key, v text, n numeric(10,2), ts timestamptz}) captured with {@code tables:
 * <db>.public.t\d+} at the phase's parallelism. Measured per N: the first row, all rows, the stream
 * reading the slot, one transaction that updates a row in every table (commit to its last change at
 * the sink), the heap the job retains, the savepoint's size, then a restore from that savepoint to
 * streaming and the same transaction again.
 *
 * <p>Runs on a server of its own (unless {@code PG_TEST_URL} names one): the transaction over
 * 10,000 tables holds a lock on every table and its key, more than the shared test server's lock
 * table holds.
 */
final class TablesPhase {

    private static final int ROWS = 100;
    private static final Duration LIMIT = Duration.ofMinutes(15);

    private final BenchSettings settings;
    private final TestDatabase db;
    private final int tables;

    private TablesPhase(BenchSettings settings, TestDatabase db, int tables) {
        this.settings = settings;
        this.db = db;
        this.tables = tables;
    }

    /** One result per table count of {@code bench.tables}. */
    static List<BenchResult> run(BenchSettings settings) throws Exception {
        PostgresServer server =
                System.getenv("PG_TEST_URL") == null
                        ? PostgresServer.startSeparate(
                                Collections.singletonMap("max_locks_per_transaction", "256"))
                        : PostgresServer.get();
        try {
            List<BenchResult> results = new ArrayList<>();
            for (int tables : settings.tables) {
                TestDatabase db = TestDatabases.create(server);
                BenchResult result = BenchResult.tables(tables, settings.tablesParallelism);
                try {
                    new TablesPhase(settings, db, tables).measure(result);
                } catch (Exception e) {
                    // what was measured up to the failure is still a result; the next N runs
                    System.out.println("bench: the tables phase at " + tables + " tables failed");
                    e.printStackTrace(System.out);
                    result.complete = false;
                } finally {
                    TestDatabases.drop(db);
                }
                System.out.println("bench: " + result);
                results.add(result);
            }
            return results;
        } finally {
            server.close(); // the shared server outlives this: close() leaves it running
        }
    }

    private void measure(BenchResult result) throws Exception {
        createTables();
        result.rows = (long) tables * ROWS;
        Path savepoints = Files.createTempDirectory("bench-tables");
        try {
            String savepoint;
            long heapBefore = heapAfterGc();
            try (ConnectionSampler sampler = new ConnectionSampler(db)) {
                String runId = UUID.randomUUID().toString();
                long start = System.nanoTime();
                JobClient job = start(runId, null);
                try {
                    BenchSink.Run run = BenchSink.run(runId);
                    if (!await(() -> run.rows.get() >= 1, job)) {
                        return;
                    }
                    result.firstRowSeconds = (run.firstRowNanos - start) / 1e9;
                    if (!await(() -> run.rows.get() >= result.rows, job)) {
                        return;
                    }
                    result.seconds = (System.nanoTime() - start) / 1e9;
                    result.rowsPerSecond =
                            result.rows / ((System.nanoTime() - run.firstRowNanos) / 1e9);
                    if (!await(() -> db.globalSlotReader() != null, job)) {
                        return;
                    }
                    result.streamingSeconds = (System.nanoTime() - start) / 1e9;
                    result.txnSeconds = updateEveryTable(run, job);
                    // below a GC's noise a small job's difference can come out negative
                    result.retainedHeapMb = Math.max(0, (heapAfterGc() - heapBefore) / 1e6);
                    result.opened = sampler.opened();
                    result.peak = sampler.peak();
                    savepoint =
                            job.stopWithSavepoint(
                                            false,
                                            savepoints.toUri().toString(),
                                            SavepointFormatType.CANONICAL)
                                    .get(LIMIT.toMillis(), TimeUnit.MILLISECONDS);
                    // stopped: its MiniCluster shuts down, so ending it must not cancel it
                    job.getJobExecutionResult().get(1, TimeUnit.MINUTES);
                } finally {
                    end(job, runId);
                }
            }
            result.stateBytes = BenchJobs.sizeOf(savepoints);
            String runId = UUID.randomUUID().toString();
            long restore = System.nanoTime();
            JobClient job = start(runId, savepoint);
            try {
                if (await(() -> db.globalSlotReader() != null, job)) {
                    result.restoreSeconds = (System.nanoTime() - restore) / 1e9;
                    result.restoreTxnSeconds = updateEveryTable(BenchSink.run(runId), job);
                }
            } finally {
                end(job, runId);
            }
            TestDatabase.await(Duration.ofSeconds(10), () -> db.connectorSessions().isEmpty());
            result.left = db.connectorSessions().size();
        } finally {
            BenchJobs.deleteRecursively(savepoints);
        }
    }

    private void createTables() throws Exception {
        try (Connection c = db.connect();
                Statement s = c.createStatement()) {
            for (int i = 0; i < tables; i++) {
                s.addBatch(
                        "CREATE TABLE t"
                                + i
                                + " (id INT PRIMARY KEY, v TEXT, n NUMERIC(10,2), ts"
                                + " TIMESTAMPTZ)");
                s.addBatch(
                        "INSERT INTO t"
                                + i
                                + " SELECT g, 'value ' || g, g / 3.0, now() FROM"
                                + " generate_series(1, "
                                + ROWS
                                + ") g");
                if (i % 500 == 499) {
                    s.executeBatch();
                }
            }
            s.executeBatch();
            s.execute("ANALYZE");
        }
    }

    /** Starts a job of the source into a counting sink, restored from the savepoint if not null. */
    private JobClient start(String runId, String savepoint) throws Exception {
        Map<String, String> options = SourceConfigs.connection(db, db.name() + ".public.t\\d+");
        options.put("metadata.list", "op_ts"); // the sink counts an update by its op_ts
        return BenchJobs.submit(
                (PostgresDataSource) SourceConfigs.create(options),
                settings.tablesParallelism,
                runId,
                savepoint,
                "bench-tables-" + tables);
    }

    /** One transaction that updates a row in every table; seconds from its commit to its last. */
    private double updateEveryTable(BenchSink.Run run, JobClient job) throws Exception {
        int before = run.latencies().size();
        long commit;
        try (Connection c = db.connect()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                for (int i = 0; i < tables; i++) {
                    s.addBatch("UPDATE t" + i + " SET v = v || '.' WHERE id = 1");
                }
                s.executeBatch();
            }
            c.commit();
            commit = System.nanoTime();
        }
        return await(() -> run.latencies().size() >= before + tables, job)
                ? (System.nanoTime() - commit) / 1e9
                : -1;
    }

    private static boolean await(BooleanSupplier condition, JobClient job) throws Exception {
        return BenchJobs.reached(condition, LIMIT, job);
    }

    private static void end(JobClient job, String runId) throws Exception {
        try {
            BenchJobs.cancel(job);
        } finally {
            BenchSink.forget(runId);
        }
    }

    private static long heapAfterGc() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
