package io.pgcdc.connector.testbed;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.cdc.common.event.Event;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.jobgraph.SavepointConfigOptions;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs a source on a local MiniCluster with checkpointing and collects its events into an {@link
 * EventLog}. Closing cancels the job and waits for it to end.
 */
public final class PipelineJob implements AutoCloseable {

    private final JobClient client;
    private final CloseableIterator<Event> events;
    private final EventLog log = new EventLog();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final Thread drainer;

    /** The threads alive before the job started (see {@link ThreadsLeft}). */
    private final Set<Thread> threadsBefore;

    private PipelineJob(
            JobClient client, CloseableIterator<Event> events, Set<Thread> threadsBefore) {
        this.client = client;
        this.events = events;
        this.threadsBefore = threadsBefore;
        this.drainer =
                new Thread(
                        () -> {
                            try {
                                while (events.hasNext()) {
                                    log.add(events.next());
                                }
                            } catch (Throwable t) {
                                failure.compareAndSet(null, t);
                            }
                        },
                        "event-drainer");
        drainer.setDaemon(true);
        drainer.start();
    }

    public static PipelineJob start(Source<Event, ?, ?> source, int parallelism) throws Exception {
        return start(source, parallelism, new Configuration());
    }

    /**
     * Starts the job with extra settings (e.g. a restart strategy or a savepoint to restore); by
     * default a failure fails the job.
     */
    public static PipelineJob start(
            Source<Event, ?, ?> source, int parallelism, Configuration settings) throws Exception {
        return start(source, parallelism, settings, null);
    }

    /**
     * Starts the job with the test's {@link SinkGate} between source and sink (null: a plain
     * pass-through).
     */
    public static PipelineJob start(
            Source<Event, ?, ?> source, int parallelism, Configuration settings, SinkGate gate)
            throws Exception {
        Set<Thread> threadsBefore = ThreadsLeft.baseline();
        Configuration conf = new Configuration();
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        conf.addAll(settings);
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.createLocalEnvironment(parallelism, conf);
        // a checkpoint a second, unless the settings name an interval of their own
        env.enableCheckpointing(
                settings.getOptional(CheckpointingOptions.CHECKPOINTING_INTERVAL)
                        .map(Duration::toMillis)
                        .orElse(1000L));
        DataStream<Event> stream =
                env.fromSource(source, WatermarkStrategy.noWatermarks(), "postgres")
                        .uid("postgres-source")
                        .setParallelism(parallelism);
        // A pass-through with a fresh uid per run, so a restored job restores the source's state
        // but not the previous run's collect sink (whose buffer belongs to the previous client).
        SingleOutputStreamOperator<Event> passed =
                gate == null
                        ? stream.map(event -> event, stream.getType())
                        : stream.map(gate.function(), stream.getType());
        CloseableIterator<Event> events =
                passed.uid("pass-through-" + UUID.randomUUID()).collectAsync();
        JobClient client = env.executeAsync("pgcdc-test");
        return new PipelineJob(client, events, threadsBefore);
    }

    /** Settings that restart a failed task up to three times. */
    public static Configuration withRestarts() {
        return withRestarts(3, Duration.ofMillis(200));
    }

    /** Settings that restart a failed task up to {@code attempts} times, {@code delay} apart. */
    public static Configuration withRestarts(int attempts, Duration delay) {
        Configuration conf = new Configuration();
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, attempts);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, delay);
        return conf;
    }

    /**
     * Settings under which no checkpoint is taken unless asked for (savepoints still are): at
     * parallelism above 1 the stream split then waits.
     */
    public static Configuration withoutCheckpoints() {
        Configuration conf = new Configuration();
        conf.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, Duration.ofHours(1));
        return conf;
    }

    /** Settings that restore the job from a savepoint. */
    public static Configuration restoringFrom(String savepoint) {
        Configuration conf = new Configuration();
        conf.set(SavepointConfigOptions.SAVEPOINT_PATH, savepoint);
        conf.set(SavepointConfigOptions.SAVEPOINT_IGNORE_UNCLAIMED_STATE, true);
        return conf;
    }

    /** Stops the job with a savepoint in the directory; returns the savepoint's path. */
    public String stopWithSavepoint(Path directory) throws Exception {
        String path =
                client.stopWithSavepoint(
                                false, directory.toUri().toString(), SavepointFormatType.CANONICAL)
                        .get(120, TimeUnit.SECONDS);
        drainer.join(30_000);
        return path;
    }

    public EventLog log() {
        return log;
    }

    /** Waits until the log satisfies the condition; fails with the log if it does not. */
    public void await(String what, Duration timeout, Predicate<EventLog> condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.test(log)) {
                return;
            }
            Throwable t = failure.get();
            if (t != null) {
                throw new AssertionError("Job failed while waiting for " + what, t);
            }
            if (client.getJobStatus().join().isGloballyTerminalState() && !drainer.isAlive()) {
                break;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        if (condition.test(log)) {
            return;
        }
        List<String> lines = log.lines();
        throw new AssertionError(
                "Timed out waiting for "
                        + what
                        + "; "
                        + lines.size()
                        + " events, the last ones:\n"
                        + String.join(
                                "\n", lines.subList(Math.max(0, lines.size() - 200), lines.size())),
                failure.get());
    }

    /**
     * Waits for the snapshot's first row, then for a walsender to stream the user's slot, a minute
     * each: a change written from then on is streamed.
     */
    public void awaitStreaming(TestDatabase db) {
        Duration timeout = Duration.ofMinutes(1);
        await("the first snapshot row", timeout, events -> events.dataCount() >= 1);
        assertThat(TestDatabase.await(timeout, () -> db.globalSlotReader() != null))
                .as("the stream reads slot %s", db.slotName())
                .isTrue();
    }

    /** Waits until the job ends by itself (bounded sources). */
    public void awaitFinished(Duration timeout) throws Exception {
        client.getJobExecutionResult().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        drainer.join(timeout.toMillis());
    }

    /**
     * Waits until the job fails and returns why; an {@link AssertionError} if it ends otherwise, a
     * {@link java.util.concurrent.TimeoutException} if it is still running after the timeout.
     */
    public Throwable awaitFailure(Duration timeout) throws Exception {
        try {
            client.getJobExecutionResult().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            return e.getCause();
        }
        throw new AssertionError("The job finished without failing");
    }

    /** Threads of the job still alive (see {@link ThreadsLeft}). */
    public List<String> threadsLeft() {
        return ThreadsLeft.since(threadsBefore);
    }

    /** Cancels the job and waits until it has ended; returns how long that took. */
    public Duration cancel() throws Exception {
        long start = System.nanoTime();
        close();
        return Duration.ofNanos(System.nanoTime() - start);
    }

    @Override
    public void close() throws Exception {
        try {
            if (!client.getJobStatus().get().isGloballyTerminalState()) {
                client.cancel().get(60, TimeUnit.SECONDS);
            }
            // wait for the cancellation to complete so every task has closed
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!client.getJobStatus().get().isGloballyTerminalState()
                    && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
        } catch (Exception e) {
            // the job may already be gone with the MiniCluster
        } finally {
            events.close();
            drainer.join(10_000);
        }
    }
}
