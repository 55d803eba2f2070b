package io.pgcdc.connector.testbed;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Samples pg_stat_activity every 100 ms for every session on a test database except the harness's: distinct backend pids seen ("opened") and the largest count in one sample
 * ("peak"), as shared/README.md defines them.
 */
public final class ConnectionSampler implements AutoCloseable {

    private final TestDatabase db;
    private final Set<Integer> seenPids = new HashSet<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;
    private int peak;

    public ConnectionSampler(TestDatabase db) {
        this.db = db;
        this.thread = new Thread(this::run, "connection-sampler");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        while (running.get()) {
            try {
                Map<Integer, String> sessions = db.connectorSessions();
                synchronized (this) {
                    seenPids.addAll(sessions.keySet());
                    peak = Math.max(peak, sessions.size());
                }
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                // the database may be going away at the end of a test
            }
        }
    }

    public synchronized int opened() {
        return seenPids.size();
    }

    public synchronized int peak() {
        return peak;
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        thread.interrupt();
        thread.join(5000);
    }
}
