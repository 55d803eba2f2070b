package io.pgcdc.connector.testbed;

import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.cdc.common.event.Event;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The fault harness's hand on a running job: a pass-through between the source and the collecting
 * sink (chained to the source, so it runs on the source's task thread) that the test steers while
 * the job runs. It can
 * <ul>
 *   <li>slow every record down ({@link #delayEachRecord}): the source emits slowly while Debezium
 *       goes on reading, so its queues fill with changes read but not yet emitted, as under a slow
 *       sink; checkpoints still complete, between records;
 *   <li>fail the task on the next record, once ({@link #failOnNextRecord}): a failover at a moment
 *       the test chooses.
 * </ul>
 * The job runs on a MiniCluster in the test's JVM, so the function finds its gate by id in this
 * class's registry; {@link #close()} removes it.
 */
public final class SinkGate implements AutoCloseable {

    private static final Map<String, SinkGate> GATES = new ConcurrentHashMap<>();

    private final String id = UUID.randomUUID().toString();
    private volatile long delayNanos;
    private final AtomicBoolean failNext = new AtomicBoolean();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong passed = new AtomicLong();

    private SinkGate() {}

    public static SinkGate open() {
        SinkGate gate = new SinkGate();
        GATES.put(gate.id, gate);
        return gate;
    }

    /** Each record waits this long before it passes (zero: no wait). */
    public SinkGate delayEachRecord(Duration delay) {
        delayNanos = delay.toNanos();
        return this;
    }

    /** The next record to pass fails its task instead (once). */
    public void failOnNextRecord() {
        failNext.set(true);
    }

    /** How many times the gate failed a task. */
    public long failures() {
        return failures.get();
    }

    /** Records passed so far, across task restarts. */
    public long passed() {
        return passed.get();
    }

    /** The operator to put between source and sink. */
    public MapFunction<Event, Event> function() {
        return new GateFunction(id);
    }

    private void pass() {
        if (failNext.compareAndSet(true, false)) {
            failures.incrementAndGet();
            throw new IllegalStateException("The test's sink gate fails this task (an injected failover)");
        }
        long delay = delayNanos;
        if (delay > 0) {
            LockSupport.parkNanos(delay); // the slow sink itself, not a wait for a condition
        }
        passed.incrementAndGet();
    }

    @Override
    public void close() {
        GATES.remove(id);
    }

    private static final class GateFunction implements MapFunction<Event, Event> {
        private static final long serialVersionUID = 1L;
        private final String id;

        GateFunction(String id) {
            this.id = id;
        }

        @Override
        public Event map(Event event) {
            SinkGate gate = GATES.get(id);
            if (gate != null) {
                gate.pass();
            }
            return event;
        }
    }
}
