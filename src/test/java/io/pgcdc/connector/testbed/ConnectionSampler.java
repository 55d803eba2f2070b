package io.pgcdc.connector.testbed;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Samples pg_stat_activity every 100 ms for every session on a test database except the harness's:
 * distinct backend pids seen ("opened", with the label each had), the largest count in one sample
 * ("peak"), as shared/README.md defines them, and any session idle in transaction for longer than a
 * second (a split's transaction left open).
 */
public final class ConnectionSampler implements AutoCloseable {

    private static final Duration STUCK = Duration.ofSeconds(1);

    /** The label given to the walsender that streams the user's global slot (the stream phase). */
    public static final String STREAM_WALSENDER = "walsender of the global slot";

    private final TestDatabase db;
    private final Map<Integer, String> seen = new HashMap<>();
    private final Map<Integer, String> stuck = new HashMap<>();
    private final java.util.List<long[]> timeline = new java.util.ArrayList<>();
    private final long startedAt = System.nanoTime();
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
                Map<Integer, String> stuckNow = db.stuckInTransaction(STUCK);
                Integer streaming = db.globalSlotReader();
                synchronized (this) {
                    sessions.forEach(
                            (pid, label) ->
                                    seen.putIfAbsent(pid, label.substring(0, label.indexOf('|'))));
                    if (streaming != null && seen.containsKey(streaming)) {
                        seen.put(streaming, STREAM_WALSENDER);
                    }
                    stuck.putAll(stuckNow);
                    peak = Math.max(peak, sessions.size());
                    timeline.add(
                            new long[] {
                                (System.nanoTime() - startedAt) / 1_000_000,
                                sessions.size(),
                                seen.size()
                            });
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
        return seen.size();
    }

    /**
     * Sessions opened, not counting the start of the stream phase: its walsender and Debezium's
     * "Slot Info" connection opened just before it (one each per job). The collect sink shows the
     * last snapshot rows a checkpoint late, so the stream phase has often begun by then. Only for
     * tests that write nothing during the snapshot, where no backfill replays (which would open a
     * "Slot Info" connection too).
     */
    public synchronized int openedForSnapshot() {
        return (int)
                seen.values().stream()
                        .filter(
                                label ->
                                        !STREAM_WALSENDER.equals(label)
                                                && !"Debezium Slot Info".equals(label))
                        .count();
    }

    public synchronized int peak() {
        return peak;
    }

    /** How many sessions with each label were seen. */
    public synchronized Map<String, Integer> openedByLabel() {
        Map<String, Integer> counts = new java.util.TreeMap<>();
        seen.values().forEach(label -> counts.merge(label, 1, Integer::sum));
        return counts;
    }

    /** Sessions seen idle in transaction for longer than a second, by pid. */
    public synchronized Map<Integer, String> stuckInTransaction() {
        return new HashMap<>(stuck);
    }

    /**
     * (milliseconds since the sampler started, sessions, distinct sessions seen so far) per sample.
     */
    public synchronized java.util.List<long[]> timeline() {
        return new java.util.ArrayList<>(timeline);
    }

    /** Starts counting afresh (peak, opened, stuck). */
    public synchronized void reset() {
        seen.clear();
        stuck.clear();
        peak = 0;
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        thread.interrupt();
        thread.join(5000);
    }

    @Override
    public synchronized String toString() {
        return "peak=" + peak + " opened=" + seen.size() + " by label " + openedByLabel();
    }
}
