package io.pgcdc.connector.demo;

import org.apache.flink.cdc.common.source.DataSource;
import org.apache.flink.cdc.common.source.FlinkSourceProvider;

import io.pgcdc.connector.source.PostgresPipelineSource;
import io.pgcdc.connector.testbed.ConnectionSampler;
import io.pgcdc.connector.testbed.LedgerMetrics;
import io.pgcdc.connector.testbed.PipelineJob;
import io.pgcdc.connector.testbed.PostgresServer;
import io.pgcdc.connector.testbed.SourceConfigs;
import io.pgcdc.connector.testbed.TestDatabase;
import io.pgcdc.connector.testbed.TestDatabases;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The demo: an embedded PostgreSQL with a demo table, the postgres source on a local MiniCluster
 * (parallelism 2), its change events printed, then a one-line summary of the connections it used.
 */
public final class DemoMain {

    public static void main(String[] args) throws Exception {
        System.out.println("Starting embedded PostgreSQL (wal_level=logical) ...");
        TestDatabase db = TestDatabases.create(PostgresServer.get());
        try {
            db.execute(
                    "CREATE TABLE orders (id BIGINT PRIMARY KEY, customer TEXT NOT NULL,"
                            + " amount NUMERIC(10,2), created_at TIMESTAMPTZ DEFAULT now())",
                    "ALTER TABLE orders REPLICA IDENTITY FULL",
                    "INSERT INTO orders (id, customer, amount) SELECT i, 'customer-' || i, i *"
                            + " 10.25 FROM generate_series(1, 20) i");
            Map<String, String> options =
                    SourceConfigs.connection(db, db.name() + ".public.orders");
            options.put("scan.incremental.snapshot.chunk.size", "5");
            DataSource source = SourceConfigs.create(options);

            int printed = 0;
            try (ConnectionSampler sampler = new ConnectionSampler(db)) {
                try (PipelineJob job =
                        PipelineJob.start(
                                ((FlinkSourceProvider) source.getEventSourceProvider()).getSource(),
                                2,
                                LedgerMetrics.reporterSettings())) {
                    job.await("snapshot", Duration.ofSeconds(120), log -> log.dataCount() >= 20);
                    printed = print(job.log().lines(), printed);
                    db.execute(
                            "INSERT INTO orders (id, customer, amount) VALUES (21, 'customer-21',"
                                    + " 215.25)",
                            "UPDATE orders SET amount = 1.00 WHERE id = 1",
                            "DELETE FROM orders WHERE id = 2");
                    job.await("changes", Duration.ofSeconds(120), log -> log.dataCount() >= 24);
                    printed = print(job.log().lines(), printed);
                }
                boolean drained =
                        TestDatabase.await(
                                Duration.ofSeconds(10), () -> db.connectorSessions().isEmpty());
                System.out.printf(
                        "SUMMARY connections: opened=%d peak=%d open-after-job=%d (%s) events=%d%n",
                        sampler.opened(),
                        sampler.peak(),
                        db.connectorSessions().size(),
                        drained ? "all closed" : "LEAKED",
                        printed);
                System.out.printf(
                        "SUMMARY reader metrics (%s, %s): opened=%d open=%d%n",
                        PostgresPipelineSource.OPENED_CONNECTIONS_METRIC,
                        PostgresPipelineSource.OPEN_CONNECTIONS_METRIC,
                        LedgerMetrics.opened(),
                        LedgerMetrics.open());
            }
        } finally {
            TestDatabases.drop(db);
        }
        System.exit(0);
    }

    private static int print(List<String> lines, int from) {
        for (String line : lines.subList(from, lines.size())) {
            System.out.println("EVENT " + line);
        }
        return lines.size();
    }
}
