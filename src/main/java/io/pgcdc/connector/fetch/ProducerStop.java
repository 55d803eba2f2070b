package io.pgcdc.connector.fetch;

import io.debezium.connector.base.ChangeEventQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Stops one split's producer: the thread that runs its fetch task (flink-cdc-base's {@code
 * debezium-reader-*} or {@code debezium-snapshot-reader-*} executor thread) and puts the split's
 * records into its Debezium queue. Closing it asks the task to stop, then, as long as the producer
 * has not left, empties the queue it may wait on (nobody takes from it any more once its split is
 * closing) and, after a moment, interrupts it: Debezium's threads wait for room in a full queue
 * without ever looking at a stop flag, and a producer left waiting there keeps its thread, and
 * Debezium's keep-alive thread with it, forever. Waits at most {@link #STOP_WAIT}.
 *
 * <p>Threading: {@link #attach} and {@link #detach} run on the producer thread; {@link #close()}
 * and {@link #requested()} on any thread. An interrupt reaches the producer only between {@code
 * attach} and {@code detach}, never the executor's next task.
 */
final class ProducerStop implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ProducerStop.class);

    static final Duration STOP_WAIT = Duration.ofSeconds(3);
    private static final long INTERRUPT_AFTER_MILLIS = 200;
    private static final long POLL_MILLIS = 20;

    private final String split;
    private final ChangeEventQueue<?> queue;
    private final Object lock = new Object();
    private final CountDownLatch left = new CountDownLatch(1);
    private Thread producer; // guarded by lock
    private boolean detached; // guarded by lock
    private Runnable requestStop = () -> {}; // guarded by lock
    private volatile boolean requested;

    ProducerStop(String split, ChangeEventQueue<?> queue) {
        this.split = split;
        this.queue = queue;
    }

    /** A stop of a split that has closed: no task attaches to it. */
    static ProducerStop stopped() {
        ProducerStop stop = new ProducerStop("(closed)", null);
        stop.requested = true;
        return stop;
    }

    /**
     * The calling thread produces the split's records until {@link #detach()}; {@code stop} asks
     * its task to stop. Returns false if the split was stopped already: the task must not start.
     */
    boolean attach(Runnable stop) {
        synchronized (lock) {
            if (requested) {
                return false;
            }
            producer = Thread.currentThread();
            requestStop = stop;
            return true;
        }
    }

    /** The producer has left its task; a pending interrupt is cleared so it cannot leak. */
    void detach() {
        synchronized (lock) {
            detached = true;
            if (producer == Thread.currentThread()) {
                Thread.interrupted();
            }
        }
        left.countDown();
    }

    /** Whether the split is being stopped: what fails the producer now is the stop, not a fault. */
    boolean requested() {
        return requested;
    }

    /**
     * Stops the producer and waits (bounded) until it has left; idempotent, any thread. The stop
     * request is repeated while waiting: a task may only be able to pass it on once it runs.
     */
    @Override
    public void close() throws InterruptedException {
        Thread running;
        Runnable stop;
        synchronized (lock) {
            requested = true;
            running = detached ? null : producer;
            stop = requestStop;
        }
        stop.run();
        if (running == null || running == Thread.currentThread()) {
            return; // never started, already left, or the producer ends its own split
        }
        long start = System.nanoTime();
        long deadline = start + STOP_WAIT.toNanos();
        boolean interrupted = false;
        while (!left.await(POLL_MILLIS, TimeUnit.MILLISECONDS)) {
            stop.run();
            while (queue.remainingCapacity() == 0 && left.getCount() > 0) {
                queue.poll(); // room for the waiting producer; the split's records are not wanted
            }
            long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            if (!interrupted && elapsed >= INTERRUPT_AFTER_MILLIS) {
                interrupted = true;
                synchronized (lock) {
                    if (!detached) {
                        running.interrupt();
                    }
                }
            }
            if (System.nanoTime() > deadline) {
                LOG.warn(
                        "The producer of split {} did not stop within {} ms; it is left to end by"
                                + " itself:\n"
                                + "\t{}",
                        split,
                        STOP_WAIT.toMillis(),
                        Arrays.stream(running.getStackTrace())
                                .map(String::valueOf)
                                .collect(Collectors.joining("\n\t")));
                return;
            }
        }
    }
}
