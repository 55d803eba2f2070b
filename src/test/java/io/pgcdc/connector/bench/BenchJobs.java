package io.pgcdc.connector.bench;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.jobgraph.SavepointConfigOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import io.pgcdc.connector.source.PostgresDataSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/** What the benchmark's phases share: a job of our source into a counting sink, and waiting. */
final class BenchJobs {

    private BenchJobs() {}

    /**
     * Submits our source into a {@link BenchSink} registered under {@code runId}, restored from the
     * savepoint unless it is null. The source keeps one uid, so a restored job finds its state.
     * Checkpoints go to files, as in production: Flink's default keeps them in the JobManager's
     * memory, 5 MB at most per state, and the stream split of 10,000 tables carries about 27 MB of
     * table definitions.
     */
    static JobClient submit(
            PostgresDataSource source, int parallelism, String runId, String savepoint, String name)
            throws Exception {
        Configuration conf = new Configuration();
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        if (savepoint != null) {
            conf.set(SavepointConfigOptions.SAVEPOINT_PATH, savepoint);
        }
        conf.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
        conf.set(
                CheckpointingOptions.CHECKPOINTS_DIRECTORY,
                Files.createTempDirectory("bench-checkpoints").toUri().toString());
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.createLocalEnvironment(parallelism, conf);
        env.enableCheckpointing(1000);
        env.fromSource(source.createSource(), WatermarkStrategy.noWatermarks(), "postgres")
                .uid("postgres-source")
                .setParallelism(parallelism)
                .addSink(new BenchSink(runId))
                .uid("bench-sink")
                .setParallelism(1);
        return env.executeAsync(name);
    }

    /** Cancels the job if it still runs and waits until every task has closed. */
    static void cancel(JobClient client) throws Exception {
        if (!client.getJobExecutionResult().isDone()) {
            client.cancel().get(1, TimeUnit.MINUTES);
        }
        try {
            client.getJobExecutionResult().get(1, TimeUnit.MINUTES);
        } catch (Exception cancelled) {
            // a cancelled job's result is its cancellation
        }
    }

    /**
     * Polls every 10 ms until the condition holds (true) or the time is up (false); throws the
     * job's failure if it ended first. A null client is not watched.
     */
    static boolean reached(BooleanSupplier condition, Duration timeout, JobClient client)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (client != null && client.getJobExecutionResult().isDone()) {
                client.getJobExecutionResult().get(); // throws the job's failure
                throw new IllegalStateException("bench: the job ended early");
            }
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }

    /** As {@link #reached}, but the time running out is a failure. */
    static void await(BooleanSupplier condition, Duration timeout, JobClient client)
            throws Exception {
        if (!reached(condition, timeout, client)) {
            throw new IllegalStateException("bench: timed out after " + timeout);
        }
    }

    static long sizeOf(Path directory) throws IOException {
        try (Stream<Path> files = Files.walk(directory)) {
            return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
    }

    static void deleteRecursively(Path directory) throws IOException {
        try (Stream<Path> paths = Files.walk(directory)) {
            for (Path path : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(path);
            }
        }
    }
}
