package io.pgcdc.connector.testbed;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Writes to {@code kv(id BIGINT PRIMARY KEY, v BIGINT, note TEXT)} from a thread of its own while a
 * fault is injected: inserts ids upward from a first id, updates a recent row every third step and
 * deletes one every seventh, one transaction each. The database stays the truth the sink is
 * compared with, so nothing here records what was written.
 */
public final class TableWriter implements AutoCloseable {

    private final AtomicLong steps = new AtomicLong();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile boolean stopping;
    private final Thread thread;

    private TableWriter(TestDatabase db, long firstId) {
        this.thread = new Thread(() -> run(db, firstId), "table-writer");
        thread.setDaemon(true);
        thread.start();
    }

    /** Creates the table with ids 1 to {@code rows}, each row {@code (id, id, 'snapshot')}. */
    public static void createTable(TestDatabase db, int rows) {
        db.execute(
                "CREATE TABLE kv (id BIGINT PRIMARY KEY, v BIGINT, note TEXT)",
                "INSERT INTO kv SELECT i, i, 'snapshot' FROM generate_series(1, " + rows + ") i");
    }

    public static TableWriter start(TestDatabase db, long firstId) {
        return new TableWriter(db, firstId);
    }

    private void run(TestDatabase db, long firstId) {
        try (Connection c = db.connect();
                Statement s = c.createStatement()) {
            long id = firstId;
            while (!stopping) {
                long step = steps.get();
                s.execute("INSERT INTO kv VALUES (" + id + ", " + step + ", 'w" + step + "')");
                if (step % 3 == 2) {
                    s.execute(
                            "UPDATE kv SET v = v + 1000, note = 'u"
                                    + step
                                    + "' WHERE id = "
                                    + (id - 1));
                }
                if (step % 7 == 6) {
                    s.execute("DELETE FROM kv WHERE id = " + (id - 5));
                }
                id++;
                steps.incrementAndGet();
                Thread.sleep(5); // a steady trickle, not a flood
            }
        } catch (SQLException | InterruptedException | RuntimeException e) {
            if (!stopping) {
                failure.set(e);
            }
        }
    }

    /** Steps completed so far. */
    public long steps() {
        return steps.get();
    }

    /** Waits until this many more steps than now have completed. */
    public void awaitMoreSteps(long more, Duration timeout) {
        long target = steps.get() + more;
        if (!TestDatabase.await(timeout, () -> steps.get() >= target || failure.get() != null)
                || failure.get() != null) {
            throw new AssertionError(
                    "The writer did not reach " + target + " steps", failure.get());
        }
    }

    /** Stops writing; fails if a write failed. */
    @Override
    public void close() throws InterruptedException {
        stopping = true;
        thread.join(30_000);
        if (failure.get() != null) {
            throw new AssertionError("A write failed", failure.get());
        }
    }
}
