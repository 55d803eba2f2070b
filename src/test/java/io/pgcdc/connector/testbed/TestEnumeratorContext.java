package io.pgcdc.connector.testbed;

import org.apache.flink.api.connector.source.ReaderInfo;
import org.apache.flink.api.connector.source.SourceEvent;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.connector.source.SplitsAssignment;
import org.apache.flink.cdc.connectors.base.source.meta.split.SourceSplitBase;
import org.apache.flink.metrics.groups.SplitEnumeratorMetricGroup;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * A split enumerator's context for tests of an enumerator on its own: one "coordinator" thread runs
 * every enumerator call ({@link #call}) and whatever the enumerator schedules on it, as Flink's
 * source coordinator does; assignments and events to readers are recorded. Periodic calls ({@code
 * callAsync} with a period) are not scheduled: a test drives the enumerator.
 */
public final class TestEnumeratorContext
        implements SplitEnumeratorContext<SourceSplitBase>, AutoCloseable {

    private final int parallelism;
    private final SplitEnumeratorMetricGroup metrics;
    private final ExecutorService coordinator =
            Executors.newSingleThreadExecutor(r -> new Thread(r, "test-enumerator-coordinator"));
    private final ExecutorService worker =
            Executors.newCachedThreadPool(
                    r -> {
                        Thread thread = new Thread(r, "test-enumerator-worker");
                        thread.setDaemon(true);
                        return thread;
                    });
    private final Map<Integer, ReaderInfo> readers = new ConcurrentHashMap<>();
    private final Map<Integer, List<SourceSplitBase>> assigned = new ConcurrentHashMap<>();
    private final Map<Integer, List<SourceEvent>> events = new ConcurrentHashMap<>();

    public TestEnumeratorContext(int parallelism) {
        this(parallelism, UnregisteredMetricsGroup.createSplitEnumeratorMetricGroup());
    }

    public TestEnumeratorContext(int parallelism, SplitEnumeratorMetricGroup metrics) {
        this.parallelism = parallelism;
        this.metrics = metrics;
    }

    /** Runs the action on the coordinator thread and returns its result. */
    public <T> T call(Callable<T> action) throws Exception {
        Future<T> result = coordinator.submit(action);
        try {
            return result.get(2, TimeUnit.MINUTES);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof Exception ? (Exception) e.getCause() : e;
        }
    }

    /** Runs the action on the coordinator thread and waits for it. */
    public void run(ThrowingRunnable action) throws Exception {
        call(
                () -> {
                    action.run();
                    return null;
                });
    }

    /** An action that may throw. */
    public interface ThrowingRunnable {
        void run() throws Exception;
    }

    public void registerReader(int subtask) {
        readers.put(subtask, new ReaderInfo(subtask, "localhost"));
    }

    /** The splits assigned to a reader so far. */
    public List<SourceSplitBase> assigned(int subtask) {
        return new ArrayList<>(assigned.getOrDefault(subtask, new ArrayList<>()));
    }

    /** The events sent to a reader so far. */
    public List<SourceEvent> events(int subtask) {
        return new ArrayList<>(events.getOrDefault(subtask, new ArrayList<>()));
    }

    @Override
    public SplitEnumeratorMetricGroup metricGroup() {
        return metrics;
    }

    @Override
    public void sendEventToSourceReader(int subtaskId, SourceEvent event) {
        events.computeIfAbsent(subtaskId, k -> new CopyOnWriteArrayList<>()).add(event);
    }

    @Override
    public int currentParallelism() {
        return parallelism;
    }

    @Override
    public Map<Integer, ReaderInfo> registeredReaders() {
        return readers;
    }

    @Override
    public void assignSplits(SplitsAssignment<SourceSplitBase> newAssignments) {
        newAssignments
                .assignment()
                .forEach(
                        (subtask, splits) ->
                                assigned.computeIfAbsent(subtask, k -> new CopyOnWriteArrayList<>())
                                        .addAll(splits));
    }

    @Override
    public void signalNoMoreSplits(int subtask) {}

    @Override
    public <T> void callAsync(Callable<T> callable, BiConsumer<T, Throwable> handler) {
        worker.execute(
                () -> {
                    T result = null;
                    Throwable failure = null;
                    try {
                        result = callable.call();
                    } catch (Throwable t) {
                        failure = t;
                    }
                    T value = result;
                    Throwable error = failure;
                    coordinator.execute(() -> handler.accept(value, error));
                });
    }

    @Override
    public <T> void callAsync(
            Callable<T> callable,
            BiConsumer<T, Throwable> handler,
            long initialDelay,
            long period) {
        // periodic calls (the enumerator's reader sync) are left to the test
    }

    @Override
    public void runInCoordinatorThread(Runnable runnable) {
        coordinator.execute(runnable);
    }

    @Override
    public void close() throws InterruptedException {
        coordinator.shutdownNow();
        worker.shutdownNow();
        coordinator.awaitTermination(30, TimeUnit.SECONDS);
    }
}
