package io.pgcdc.connector.resource;

import org.apache.flink.annotation.Internal;

import javax.annotation.concurrent.ThreadSafe;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts the physical connections one owner (a reader, the enumerator) opened and still holds, by
 * role. The reader's metrics, its log line at close and the demo summary all read this one ledger.
 *
 * <p>Threading: counted from any thread that opens or closes a connection, read by the metric
 * reporter; atomic counters, no lock.
 */
@ThreadSafe
@Internal
public final class ConnectionLedger {

    private final String owner;
    private final AtomicLong opened = new AtomicLong();
    private final AtomicInteger open = new AtomicInteger();
    private final Map<String, AtomicLong> openedByRole = new ConcurrentHashMap<>();

    public ConnectionLedger(String owner) {
        this.owner = owner;
    }

    public void recordOpened(String role) {
        opened.incrementAndGet();
        open.incrementAndGet();
        openedByRole.computeIfAbsent(role, r -> new AtomicLong()).incrementAndGet();
    }

    public void recordClosed() {
        open.decrementAndGet();
    }

    /** Connections opened since the owner started. */
    public long opened() {
        return opened.get();
    }

    /** Connections currently open. */
    public int open() {
        return open.get();
    }

    public Map<String, Long> openedByRole() {
        Map<String, Long> copy = new TreeMap<>();
        openedByRole.forEach((role, count) -> copy.put(role, count.get()));
        return copy;
    }

    @Override
    public String toString() {
        return owner
                + " connections: opened="
                + opened()
                + " open="
                + open()
                + " by role "
                + openedByRole();
    }
}
