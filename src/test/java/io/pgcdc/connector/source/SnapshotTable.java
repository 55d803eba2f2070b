package io.pgcdc.connector.source;

import io.pgcdc.connector.testbed.EventLog;
import io.pgcdc.connector.testbed.NothingLeft;
import io.pgcdc.connector.testbed.PipelineJob;
import io.pgcdc.connector.testbed.SourceConfigs;
import io.pgcdc.connector.testbed.TestDatabase;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A table {@code items(id, note)} of {@code splits × 20} rows that the source snapshots in {@code
 * splits} chunks of 20, and the checks the connection tests share.
 */
final class SnapshotTable {

    static final int ROWS_PER_SPLIT = 20;
    static final Duration SNAPSHOT_TIMEOUT = Duration.ofMinutes(4);
    static final Duration CLEANUP_DEADLINE = NothingLeft.DEADLINE;

    final TestDatabase db;
    final int rows;

    private SnapshotTable(TestDatabase db, int rows) {
        this.db = db;
        this.rows = rows;
    }

    static SnapshotTable create(TestDatabase db, int splits) {
        int rows = splits * ROWS_PER_SPLIT;
        db.execute(
                "CREATE TABLE items (id INT PRIMARY KEY, note TEXT)",
                "INSERT INTO items SELECT i, 'n' || i FROM generate_series(1, " + rows + ") i");
        return new SnapshotTable(db, rows);
    }

    PostgresDataSource source(boolean backfill) {
        return source(backfill, new HashMap<>());
    }

    PostgresDataSource source(boolean backfill, Map<String, String> extra) {
        Map<String, String> options = SourceConfigs.connection(db, db.name() + ".public.items");
        options.put("scan.incremental.snapshot.chunk.size", String.valueOf(ROWS_PER_SPLIT));
        options.put("scan.incremental.snapshot.backfill.skip", String.valueOf(!backfill));
        options.putAll(extra);
        return (PostgresDataSource) SourceConfigs.create(options);
    }

    /** The ids of the rows read so far (snapshot and inserts). */
    static Set<Integer> ids(EventLog log) {
        Set<Integer> ids = new TreeSet<>();
        for (String line : log.dataLines()) {
            if (line.startsWith("+I public.items[")) {
                int start = "+I public.items[".length();
                ids.add(Integer.parseInt(line.substring(start, line.indexOf(',', start))));
            }
        }
        return ids;
    }

    void awaitSnapshot(PipelineJob job) {
        job.await("all " + rows + " rows", SNAPSHOT_TIMEOUT, log -> ids(log).size() == rows);
    }

    /**
     * Cancels the job; within 10 s of the cancellation no session of the connector is left and the
     * only slot is the user's global one (backfill slots are gone).
     */
    void cancelAndAssertNothingLeft(PipelineJob job) throws Exception {
        NothingLeft.afterClosing(job, db);
    }
}
