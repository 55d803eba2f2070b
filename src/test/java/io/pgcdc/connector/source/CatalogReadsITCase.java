package io.pgcdc.connector.source;

import org.apache.flink.api.connector.source.Source;
import org.apache.flink.cdc.common.event.Event;

import io.pgcdc.connector.testbed.PipelineJob;
import io.pgcdc.connector.testbed.PostgresServer;
import io.pgcdc.connector.testbed.SourceConfigs;
import io.pgcdc.connector.testbed.TestDatabase;
import io.pgcdc.connector.testbed.TestDatabases;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Whole databases: the catalog statements a job runs (counted by {@code pg_stat_statements}: table,
 * column, key and type lookups) grow linearly with the number of tables it captures, for the
 * snapshot and for each table's first streamed change. Counted at 20, 40 and 80 tables: the cost of
 * each table added between 40 and 80 may not exceed that of each table added between 20 and 40 (a
 * catalog read of all captured tables per table doubles it), nor {@link #PER_TABLE}. A stream
 * restored from a savepoint starts from the table definitions its state carries, without a catalog
 * read per table.
 */
class CatalogReadsITCase {

    private static final Logger LOG = LoggerFactory.getLogger(CatalogReadsITCase.class);
    private static final Duration TIMEOUT = Duration.ofMinutes(3);
    private static final int ROWS = 3;

    /**
     * Per table: its columns and key as the snapshot plans it, and again with its attribute numbers
     * as its first change is decoded (Debezium's Relation handling): 5, and half a statement of
     * slack for a Relation message the server happens to send twice.
     */
    private static final double PER_TABLE = 5.5;

    /** The statements that read the catalog; the test's own statements name none of these. */
    private static final String CATALOG_STATEMENT =
            "pg_catalog|information_schema|pg_class|pg_attribute|pg_index|pg_type|pg_namespace";

    @Test
    void catalogStatementsPerTableStayConstantAsTablesGrow() throws Exception {
        Assumptions.assumeTrue(System.getenv("PG_TEST_URL") == null, "needs a server of its own");
        PostgresServer server =
                PostgresServer.startSeparate(
                        Map.of("shared_preload_libraries", "pg_stat_statements"));
        try {
            long at20 = catalogStatements(server, 20);
            long at40 = catalogStatements(server, 40);
            long at80 = catalogStatements(server, 80);
            double perTableFrom20 = (at40 - at20) / 20.0;
            double perTableFrom40 = (at80 - at40) / 40.0;
            LOG.info(
                    "catalog statements: {} at 20 tables, {} at 40, {} at 80; per table added:"
                            + " {} from 20 to 40, {} from 40 to 80",
                    at20,
                    at40,
                    at80,
                    perTableFrom20,
                    perTableFrom40);
            assertThat(perTableFrom40)
                    .as(
                            "catalog statements per table added from 40 to 80 tables (%s at 20, %s"
                                    + " at 40, %s at 80)",
                            at20, at40, at80)
                    .isLessThanOrEqualTo(perTableFrom20 * 1.25 + 1)
                    .isLessThanOrEqualTo(PER_TABLE);
        } finally {
            server.close();
        }
    }

    @Test
    void aRestoredStreamStartsWithoutReadingEachTable(@TempDir Path savepoints) throws Exception {
        Assumptions.assumeTrue(System.getenv("PG_TEST_URL") == null, "needs a server of its own");
        PostgresServer server =
                PostgresServer.startSeparate(
                        Map.of("shared_preload_libraries", "pg_stat_statements"));
        try {
            long at20 = restoreStatements(server, 20, savepoints.resolve("20"));
            long at40 = restoreStatements(server, 40, savepoints.resolve("40"));
            LOG.info("catalog statements of a restore: {} at 20 tables, {} at 40", at20, at40);
            assertThat(at40 - at20)
                    .as(
                            "catalog statements a restore runs per 20 tables more (%s at 20"
                                    + " tables, %s at 40)",
                            at20, at40)
                    .isLessThan(20);
        } finally {
            server.close();
        }
    }

    /**
     * Snapshots {@code tables} tables, stops with a savepoint, and returns the catalog statements
     * of a job restored from it until it streams a change of one table.
     */
    private static long restoreStatements(PostgresServer server, int tables, Path savepoints)
            throws Exception {
        TestDatabase db = TestDatabases.create(server);
        try {
            createTables(db, tables);
            String savepoint;
            try (PipelineJob job = snapshottedAndStreaming(db, tables)) {
                savepoint = job.stopWithSavepoint(savepoints);
            }
            db.query("SELECT pg_stat_statements_reset()");
            try (PipelineJob job =
                    PipelineJob.start(source(db), 1, PipelineJob.restoringFrom(savepoint))) {
                assertThat(TestDatabase.await(TIMEOUT, () -> db.globalSlotReader() != null))
                        .as("the restored stream reads the slot")
                        .isTrue();
                db.execute("INSERT INTO t0 VALUES (" + (ROWS + 1) + ", 'after')");
                job.await(
                        "the change after the restore",
                        TIMEOUT,
                        log -> log.dataLines().stream().anyMatch(l -> l.contains("after")));
            }
            return catalogStatementsSinceReset(db);
        } finally {
            TestDatabases.drop(db);
        }
    }

    /**
     * Snapshots {@code tables} tables of {@link #ROWS} rows, then streams one transaction that
     * updates a row in each, and returns the catalog statements the server ran in that database
     * meanwhile.
     */
    private static long catalogStatements(PostgresServer server, int tables) throws Exception {
        TestDatabase db = TestDatabases.create(server);
        try {
            createTables(db, tables);
            List<String> updates = new ArrayList<>();
            for (int i = 0; i < tables; i++) {
                updates.add("UPDATE t" + i + " SET v = 'changed' WHERE id = 1");
            }
            db.query("SELECT pg_stat_statements_reset()");

            try (PipelineJob job = snapshottedAndStreaming(db, tables)) {
                try (Connection c = db.connect()) {
                    c.setAutoCommit(false);
                    try (Statement s = c.createStatement()) {
                        for (String update : updates) {
                            s.execute(update);
                        }
                    }
                    c.commit();
                }
                job.await(
                        "one update in each of " + tables + " tables",
                        TIMEOUT,
                        log ->
                                log.dataLines().stream().filter(l -> l.startsWith("+U ")).count()
                                        >= tables);
            }
            return catalogStatementsSinceReset(db);
        } finally {
            TestDatabases.drop(db);
        }
    }

    /** Tables t0 ... of {@link #ROWS} rows each, and pg_stat_statements in the database. */
    private static void createTables(TestDatabase db, int tables) {
        List<String> ddl = new ArrayList<>();
        ddl.add("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
        for (int i = 0; i < tables; i++) {
            ddl.add("CREATE TABLE t" + i + " (id INT PRIMARY KEY, v TEXT)");
            ddl.add("INSERT INTO t" + i + " SELECT g, 'v' FROM generate_series(1, " + ROWS + ") g");
        }
        db.execute(ddl.toArray(new String[0]));
    }

    /** A job that has snapshotted the tables and streams; the caller closes it. */
    private static PipelineJob snapshottedAndStreaming(TestDatabase db, int tables)
            throws Exception {
        PipelineJob job = PipelineJob.start(source(db), 1);
        try {
            job.await(
                    "the snapshot of " + tables + " tables",
                    TIMEOUT,
                    log -> log.dataLines().size() >= tables * ROWS);
            job.awaitStreaming(db);
            return job;
        } catch (Throwable t) {
            job.close();
            throw t;
        }
    }

    private static Source<Event, ?, ?> source(TestDatabase db) {
        Map<String, String> options = SourceConfigs.connection(db, db.name() + ".public.t\\d+");
        return ((PostgresDataSource) SourceConfigs.create(options)).createSource();
    }

    private static long catalogStatementsSinceReset(TestDatabase db) {
        return db.queryLong(
                "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s JOIN pg_database d"
                        + " ON d.oid = s.dbid WHERE d.datname = current_database() AND"
                        + " s.query ~* '"
                        + CATALOG_STATEMENT
                        + "' AND s.query !~* 'pg_stat_statements'");
    }
}
