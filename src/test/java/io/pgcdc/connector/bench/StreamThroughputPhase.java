package io.pgcdc.connector.bench;

import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;

import io.pgcdc.connector.source.PostgresDataSource;
import io.pgcdc.connector.testbed.ConnectionSampler;
import io.pgcdc.connector.testbed.OtherConsumer;
import io.pgcdc.connector.testbed.SourceConfigs;
import io.pgcdc.connector.testbed.TestDatabase;
import org.postgresql.replication.PGReplicationStream;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The streaming-throughput phase: change events per second of our source (A) reading a backlog
 * already in the WAL, against the rate at which a plain pgjdbc logical replication stream (R) reads
 * and discards the same backlog's pgoutput messages, the most this machine's walsender can deliver.
 *
 * <p>Two workloads on a table of its own, {@code tp_t (id BIGINT PRIMARY KEY, v TEXT, n INT)}: one
 * transaction of {@code bench.throughput.rows} inserted rows, then {@code bench.throughput.txns}
 * one-row insert transactions. For each, R's slot (with a publication of its own) and A's slot
 * (made by a job started at {@code latest-offset} and stopped with a savepoint) are positioned
 * before the workload is written; then R reads it, then a job restored from the savepoint does.
 * Both are timed from the first insert event to the last (at R's loop, at A's sink), so the
 * decoding before the first event, the job start and the load generator are not measured.
 */
final class StreamThroughputPhase {

    private static final Duration TIMEOUT = Duration.ofMinutes(15);
    private static final String RAW_PUBLICATION = "tp_raw_pub";

    private final BenchSettings settings;
    private final TestDatabase db;

    private StreamThroughputPhase(BenchSettings settings, TestDatabase db) {
        this.settings = settings;
        this.db = db;
    }

    /** Runs both workloads; R then A for each (four results). Leaves no slot or job behind. */
    static List<BenchResult> run(BenchSettings settings, TestDatabase db) throws Exception {
        StreamThroughputPhase phase = new StreamThroughputPhase(settings, db);
        db.execute(
                "DROP TABLE IF EXISTS tp_t",
                "CREATE TABLE tp_t (id BIGINT PRIMARY KEY, v TEXT, n INT)");
        List<BenchResult> results = new ArrayList<>();
        long rows = settings.throughputRows;
        results.addAll(
                phase.runWorkload(
                        String.format(Locale.ROOT, "1 txn x %,d rows", rows),
                        "tp1",
                        rows,
                        // one statement in autocommit: one transaction
                        "INSERT INTO tp_t SELECT i, md5(i::text), (i % 1000)::int FROM"
                                + " generate_series(1, "
                                + rows
                                + ") i"));
        db.execute("TRUNCATE tp_t"); // before workload 2's slots exist: they do not see it
        long txns = settings.throughputTxns;
        results.addAll(
                phase.runWorkload(
                        String.format(Locale.ROOT, "%,d txns x 1 row", txns),
                        "tp2",
                        txns,
                        // a COMMIT per row inside one DO block: separate transactions without a
                        // round trip each (a JDBC batch in autocommit is one implicit transaction)
                        "DO $$ BEGIN FOR i IN 1.."
                                + txns
                                + " LOOP INSERT INTO tp_t VALUES (i, md5(i::text), i % 1000);"
                                + " COMMIT; END LOOP; END $$"));
        db.execute("DROP TABLE tp_t");
        return results;
    }

    /** Positions R's and A's slots, writes the backlog, reads it with R, then with A. */
    private List<BenchResult> runWorkload(String workload, String tag, long events, String write)
            throws Exception {
        String rawSlot = db.slotName() + "_" + tag + "_r";
        String sourceSlot = db.slotName() + "_" + tag + "_a";
        Path savepoints = Files.createTempDirectory("pgcdc-tp-");
        try {
            // the publication before the slot: the slot decodes with the catalog as of its start
            db.execute(
                    "CREATE PUBLICATION " + RAW_PUBLICATION + " FOR TABLE tp_t",
                    "SELECT pg_create_logical_replication_slot('" + rawSlot + "', 'pgoutput')");
            String savepoint = positionSource(sourceSlot, savepoints);
            long written = System.nanoTime();
            db.execute(write);
            System.out.printf(
                    Locale.ROOT,
                    "bench: throughput %s written in %.1f s%n",
                    workload,
                    (System.nanoTime() - written) / 1e9);
            BenchResult raw = BenchResult.throughput("R", workload);
            try {
                readRaw(rawSlot, events, raw);
            } finally {
                db.execute(
                        "SELECT pg_drop_replication_slot('" + rawSlot + "')",
                        "DROP PUBLICATION " + RAW_PUBLICATION);
            }
            System.out.println("bench: " + raw);
            BenchResult ours = BenchResult.throughput("A", workload);
            readWithSource(sourceSlot, savepoint, events, ours);
            System.out.println("bench: " + ours);
            List<BenchResult> results = new ArrayList<>();
            results.add(raw);
            results.add(ours);
            return results;
        } finally {
            BenchJobs.deleteRecursively(savepoints);
        }
    }

    /**
     * R: streams the slot over a pgjdbc replication connection and counts the insert messages until
     * {@code events}, discarding them.
     */
    private void readRaw(String slot, long events, BenchResult result) throws Exception {
        ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor();
        try (Connection replication = OtherConsumer.replicationConnection(db, "bench-raw")) {
            // read() blocks until data arrives: a stream that never gets there ends by the
            // connection closing under it
            watchdog.schedule(
                    () -> {
                        try {
                            replication.close();
                        } catch (SQLException e) {
                            // closing anyway
                        }
                    },
                    TIMEOUT.toMillis(),
                    TimeUnit.MILLISECONDS);
            long started = System.nanoTime();
            long first = 0;
            long inserts = 0;
            long begins = 0;
            long lastStatus = started;
            try (PGReplicationStream stream =
                    OtherConsumer.startStreaming(replication, slot, RAW_PUBLICATION)) {
                while (inserts < events) {
                    ByteBuffer message = stream.read();
                    byte type = message.get(message.position());
                    if (type == 'I') {
                        if (inserts++ == 0) {
                            first = System.nanoTime();
                        }
                    } else if (type == 'B') {
                        begins++;
                    }
                    long now = System.nanoTime();
                    if (now - lastStatus > TimeUnit.SECONDS.toNanos(1)) {
                        // confirm as a consumer would, so the walsender's view of us is realistic
                        stream.setFlushedLSN(stream.getLastReceiveLSN());
                        stream.setAppliedLSN(stream.getLastReceiveLSN());
                        stream.forceUpdateStatus();
                        lastStatus = now;
                    }
                }
                long end = System.nanoTime();
                result.rows = inserts;
                result.firstRowSeconds = (first - started) / 1e9;
                result.seconds = (end - first) / 1e9;
                result.rowsPerSecond = inserts / result.seconds;
                result.opened = 1;
                result.peak = 1;
                System.out.println(
                        "bench: R read " + inserts + " inserts in " + begins + " transactions");
            }
        } finally {
            watchdog.shutdownNow();
        }
    }

    /**
     * Starts a job of our source at the latest offset on its own slot, waits until it streams and
     * stops it with a savepoint; returns the savepoint's path. Writes from then on are its backlog.
     */
    private String positionSource(String slot, Path savepoints) throws Exception {
        String runId = UUID.randomUUID().toString();
        JobClient client = submit(slot, runId, null, "bench-tp-position");
        try {
            BenchJobs.await(() -> db.globalSlotReader(slot) != null, Duration.ofMinutes(2), client);
            String path =
                    client.stopWithSavepoint(
                                    false,
                                    savepoints.toUri().toString(),
                                    SavepointFormatType.CANONICAL)
                            .get(2, TimeUnit.MINUTES);
            client.getJobExecutionResult().get(1, TimeUnit.MINUTES);
            return path;
        } catch (Exception e) {
            BenchJobs.cancel(client);
            throw e;
        } finally {
            BenchSink.forget(runId);
        }
    }

    /** A: restores the job from the savepoint and counts rows at the sink until {@code events}. */
    private void readWithSource(String slot, String savepoint, long events, BenchResult result)
            throws Exception {
        String runId = UUID.randomUUID().toString();
        try (ConnectionSampler sampler = new ConnectionSampler(db)) {
            long started = System.nanoTime();
            JobClient client = submit(slot, runId, savepoint, "bench-tp-" + result.workload);
            try {
                BenchSink.Run run = BenchSink.run(runId);
                BenchJobs.await(() -> run.rows.get() >= events, TIMEOUT, client);
                long end = System.nanoTime();
                result.rows = run.rows.get();
                result.firstRowSeconds = (run.firstRowNanos - started) / 1e9;
                result.seconds = (end - run.firstRowNanos) / 1e9;
                result.rowsPerSecond = result.rows / result.seconds;
                result.opened = sampler.opened();
                result.peak = sampler.peak();
            } finally {
                BenchJobs.cancel(client);
            }
        } finally {
            BenchSink.forget(runId);
            TestDatabase.await(Duration.ofSeconds(10), () -> db.slotHolder(slot) == null);
            db.execute(
                    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                            + " WHERE slot_name = '"
                            + slot
                            + "' AND NOT active");
        }
    }

    /** Submits a job of our source at the latest offset on the slot, at parallelism 1. */
    private JobClient submit(String slot, String runId, String savepoint, String name)
            throws Exception {
        Map<String, String> options = SourceConfigs.connection(db, db.name() + ".public.tp_t");
        options.put("slot.name", slot);
        options.put("scan.startup.mode", "latest-offset");
        return BenchJobs.submit(
                (PostgresDataSource) SourceConfigs.create(options), 1, runId, savepoint, name);
    }
}
