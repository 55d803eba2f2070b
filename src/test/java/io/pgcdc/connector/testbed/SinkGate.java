package io.pgcdc.connector.testbed;

import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.cdc.common.event.Event;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * The fault harness's hand on a running job: a pass-through between the source and the collecting
 * sink (chained to the source, so it runs on the source's task thread) that the test steers while
 * the job runs. It can
 *
 * <ul>
 *   <li>slow every record down ({@link #delayEachRecord}): the source emits slowly while Debezium
 *       goes on reading, so its queues fill with changes read but not yet emitted, as under a slow
 *       sink; checkpoints still complete, between records;
 *   <li>fail the task on the next record, once ({@link #failOnNextRecord}): a failover at a moment
 *       the test chooses;
 *   <li>fail the task in the first checkpoint taken once a condition holds, once ({@link
 *       #failAtCheckpointWhen}): a failover at a moment no record marks, e.g. after a split
 *       finished, while the task waits for its final checkpoint;
 *   <li>hold every record back ({@link #block()}): the sink takes nothing and every queue behind it
 *       fills.
 * </ul>
 *
 * The job runs on a MiniCluster in the test's JVM, so the function finds its gate by id in this
 * class's registry; {@link #close()} removes it.
 */
public final class SinkGate implements AutoCloseable {

    private static final Map<String, SinkGate> GATES = new ConcurrentHashMap<>();

    private final String id = UUID.randomUUID().toString();
    private volatile long delayNanos;
    private volatile boolean blocked;
    private final AtomicBoolean failNext = new AtomicBoolean();
    private volatile BooleanSupplier failCheckpointWhen;
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

    /**
     * Every record waits at the gate until {@link #release()}: the sink stops taking records, the
     * queues behind it fill and Debezium's threads block on them. A task cancelled meanwhile is
     * interrupted at the gate and fails, as a blocked sink would.
     */
    public void block() {
        blocked = true;
    }

    public void release() {
        blocked = false;
    }

    /** The next record to pass fails its task instead (once). */
    public void failOnNextRecord() {
        failNext.set(true);
    }

    /**
     * The first checkpoint the gate takes part in once the condition holds fails its task instead
     * (once). The condition is evaluated on the task's thread as the checkpoint is taken.
     */
    public void failAtCheckpointWhen(BooleanSupplier condition) {
        failCheckpointWhen = condition;
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
            throw new IllegalStateException(
                    "The test's sink gate fails this task (an injected failover)");
        }
        long delay = delayNanos;
        if (delay > 0) {
            LockSupport.parkNanos(delay); // the slow sink itself, not a wait for a condition
        }
        while (blocked) {
            LockSupport.parkNanos(1_000_000); // the blocked sink itself
            if (Thread.interrupted()) {
                throw new IllegalStateException(
                        "The blocked sink was interrupted (the task is cancelled)");
            }
        }
        passed.incrementAndGet();
    }

    private void checkpoint(long checkpointId) {
        BooleanSupplier when = failCheckpointWhen;
        if (when != null && when.getAsBoolean()) {
            synchronized (this) {
                if (failCheckpointWhen != when) {
                    return; // another subtask's gate failed this checkpoint already
                }
                failCheckpointWhen = null;
            }
            failures.incrementAndGet();
            throw new IllegalStateException(
                    "The test's sink gate fails this task in checkpoint "
                            + checkpointId
                            + " (an injected failover)");
        }
    }

    @Override
    public void close() {
        GATES.remove(id);
    }

    private static final class GateFunction
            implements MapFunction<Event, Event>, CheckpointedFunction {
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

        @Override
        public void snapshotState(FunctionSnapshotContext context) {
            SinkGate gate = GATES.get(id);
            if (gate != null) {
                gate.checkpoint(context.getCheckpointId());
            }
        }

        @Override
        public void initializeState(FunctionInitializationContext context) {}
    }
}
