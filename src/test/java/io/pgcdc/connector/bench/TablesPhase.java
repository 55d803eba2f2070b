package io.pgcdc.connector.bench;

import io.pgcdc.connector.source.PostgresDataSource;
import io.pgcdc.connector.testbed.EventLog;
import io.pgcdc.connector.testbed.PipelineJob;
import io.pgcdc.connector.testbed.PostgresServer;
import io.pgcdc.connector.testbed.SourceConfigs;
import io.pgcdc.connector.testbed.TestDatabase;
import io.pgcdc.connector.testbed.TestDatabases;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The benchmark's whole-database phase, on its own for now (not yet in results.csv or the plots):
 * captures N tables of 100 rows ({@code id int primary key, v text, n numeric(10,2), ts
 * timestamptz}) with {@code tables: <db>.public.t\d+} at parallelism 2, then one transaction that
 * updates a row in each table. Prints, per N: when the first row arrived, when all had, and how
 * long the transaction took to arrive. {@code -Dbench.tables=100,1000} (default 100,1000).
 */
public final class TablesPhase {

    private static final Logger LOG = LoggerFactory.getLogger(TablesPhase.class);
    private static final int ROWS = 100;
    private static final Duration LIMIT = Duration.ofMinutes(15);

    private TablesPhase() {}

    public static void main(String[] args) throws Exception {
        List<String> lines = new ArrayList<>();
        lines.add(
                "| tables | first row at | all rows at | a transaction over all tables arrives in"
                        + " |");
        lines.add("|---|---|---|---|");
        for (String n : System.getProperty("bench.tables", "100,1000").split(",")) {
            lines.add(run(Integer.parseInt(n.trim())));
            LOG.info("tables phase so far:\n{}", String.join("\n", lines));
        }
        System.out.println(String.join("\n", lines));
        System.exit(0);
    }

    private static String run(int tables) throws Exception {
        TestDatabase db = TestDatabases.create(PostgresServer.get());
        try {
            try (Connection c = db.connect();
                    Statement s = c.createStatement()) {
                for (int i = 0; i < tables; i++) {
                    s.execute(
                            "CREATE TABLE t"
                                    + i
                                    + " (id INT PRIMARY KEY, v TEXT, n NUMERIC(10,2), ts"
                                    + " TIMESTAMPTZ)");
                    s.execute(
                            "INSERT INTO t"
                                    + i
                                    + " SELECT g, 'value ' || g, g / 3.0, now() FROM"
                                    + " generate_series(1, "
                                    + ROWS
                                    + ") g");
                }
            }
            Map<String, String> options = SourceConfigs.connection(db, db.name() + ".public.t\\d+");
            PostgresDataSource source = (PostgresDataSource) SourceConfigs.create(options);
            long start = System.nanoTime();
            try (PipelineJob job = PipelineJob.start(source.createSource(), 2)) {
                String first = seconds(start, waitFor(job, log -> log.dataCount() >= 1));
                String all = seconds(start, waitFor(job, log -> log.dataCount() >= tables * ROWS));
                waitFor(job, log -> db.globalSlotReader() != null);
                long txn = System.nanoTime();
                try (Connection c = db.connect()) {
                    c.setAutoCommit(false);
                    try (Statement s = c.createStatement()) {
                        for (int i = 0; i < tables; i++) {
                            s.execute("UPDATE t" + i + " SET v = 'changed' WHERE id = 1");
                        }
                    }
                    c.commit();
                }
                String arrived =
                        seconds(
                                txn,
                                waitFor(
                                        job,
                                        log ->
                                                log.dataLines().stream()
                                                                .filter(l -> l.startsWith("+U "))
                                                                .count()
                                                        >= tables));
                return "| " + tables + " | " + first + " | " + all + " | " + arrived + " |";
            }
        } finally {
            TestDatabases.drop(db);
        }
    }

    /** Polls every 50 ms; returns when the condition held (nanoTime), or -1 after the limit. */
    private static long waitFor(PipelineJob job, Predicate<EventLog> condition)
            throws InterruptedException {
        long deadline = System.nanoTime() + LIMIT.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.test(job.log())) {
                return System.nanoTime();
            }
            Thread.sleep(50);
        }
        return -1;
    }

    private static String seconds(long from, long to) {
        return to < 0
                ? "not within " + LIMIT.toMinutes() + " min"
                : String.format("%.1f s", (to - from) / 1e9);
    }
}
