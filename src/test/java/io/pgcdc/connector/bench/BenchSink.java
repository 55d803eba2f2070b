package io.pgcdc.connector.bench;

import org.apache.flink.cdc.common.event.DataChangeEvent;
import org.apache.flink.cdc.common.event.Event;
import org.apache.flink.cdc.common.event.OperationType;
import org.apache.flink.streaming.api.functions.sink.SinkFunction;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts a benchmark run's rows and records the commit-to-event latency of its updates (from the
 * {@code op_ts} metadata), without keeping the rows. Benchmark code: runs live in this class for
 * the one MiniCluster of the benchmark JVM, keyed by run id.
 */
final class BenchSink implements SinkFunction<Event> {

    private static final long serialVersionUID = 1L;
    private static final Map<String, Run> RUNS = new ConcurrentHashMap<>();

    private final String runId;

    BenchSink(String runId) {
        this.runId = runId;
        RUNS.put(runId, new Run());
    }

    static Run run(String runId) {
        return RUNS.get(runId);
    }

    static void forget(String runId) {
        RUNS.remove(runId);
    }

    @Override
    public void invoke(Event event, Context context) {
        if (!(event instanceof DataChangeEvent)) {
            return;
        }
        DataChangeEvent change = (DataChangeEvent) event;
        Run run = RUNS.get(runId);
        if (change.op() == OperationType.UPDATE) {
            String opTs = change.meta().get("op_ts");
            if (opTs != null) {
                run.latency(System.currentTimeMillis() - Long.parseLong(opTs));
            }
        } else if (run.rows.incrementAndGet() == 1) {
            run.firstRowNanos = System.nanoTime();
        }
    }

    /** What one run's sink saw. */
    static final class Run {
        final AtomicLong rows = new AtomicLong();
        volatile long firstRowNanos;
        private final List<Long> latencies = new ArrayList<>();

        synchronized void latency(long millis) {
            latencies.add(millis);
        }

        synchronized List<Long> latencies() {
            return new ArrayList<>(latencies);
        }
    }
}
