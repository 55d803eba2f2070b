package io.pgcdc.connector.source;

import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.cdc.connectors.base.source.assigner.state.HybridPendingSplitsState;
import org.apache.flink.cdc.connectors.base.source.assigner.state.PendingSplitsState;
import org.apache.flink.cdc.connectors.base.source.meta.events.FinishedSnapshotSplitsReportEvent;
import org.apache.flink.cdc.connectors.base.source.meta.offset.Offset;
import org.apache.flink.cdc.connectors.base.source.meta.split.SnapshotSplit;
import org.apache.flink.cdc.connectors.base.source.meta.split.SourceSplitBase;
import org.apache.flink.cdc.connectors.postgres.source.offset.PostgresOffsetFactory;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.groups.SplitEnumeratorMetricGroup;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;

import io.pgcdc.connector.testbed.PostgresExtension;
import io.pgcdc.connector.testbed.SourceConfigs;
import io.pgcdc.connector.testbed.TestDatabase;
import io.pgcdc.connector.testbed.TestEnumeratorContext;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The enumerator's checkpointed state, tested on the enumerator alone (a test context drives it on
 * its own coordinator thread) against a real database: whatever the enumerator's chunk-splitting
 * thread does while a checkpoint is taken and written, the state restores to every chunk of every
 * captured table exactly once.
 */
@Tag("core")
@ExtendWith(PostgresExtension.class)
class EnumeratorStateITCase {

    private static final Offset FINISHED =
            new PostgresOffsetFactory().newOffset(Collections.singletonMap("lsn", "1"));

    /**
     * A checkpoint is taken while a table is still being split into chunks (text keys: one query a
     * chunk), while the splitting goes on. Restored, the enumerator hands out chunks that cover
     * each table's rows exactly once.
     */
    @Test
    void aCheckpointTakenWhileATableIsSplitRestoresEveryChunkOnce(TestDatabase db)
            throws Exception {
        createTables(db);
        PostgresPipelineSource source = source(db);
        List<SnapshotSplit> read = new ArrayList<>();
        PendingSplitsState checkpoint = checkpointWhileSplitting(source, read);
        read.addAll(readAll(source, checkpoint, new TestEnumeratorContext(1)));
        assertCoveredOnce(db, read);
    }

    /**
     * Restored from a checkpoint taken mid-splitting, the enumerator starts while its splitting
     * thread goes on with the table, and registering the metrics of the restored splits is slow (as
     * with a metric reporter). The start neither fails nor races the splitting.
     */
    @Test
    void aRestoredEnumeratorStartsWhileItsSplittingGoesOn(TestDatabase db) throws Exception {
        createTables(db);
        PostgresPipelineSource source = source(db);
        List<SnapshotSplit> read = new ArrayList<>();
        PendingSplitsState checkpoint = checkpointWhileSplitting(source, read);
        read.addAll(
                readAll(
                        source,
                        checkpoint,
                        new TestEnumeratorContext(1, new SlowFirstMetricGroup())));
        assertCoveredOnce(db, read);
    }

    /**
     * Starts an enumerator, reads splits until one of the text-keyed table came, and takes a
     * checkpoint while that table is still being split; returns the checkpoint as written and read
     * back.
     */
    private static PendingSplitsState checkpointWhileSplitting(
            PostgresPipelineSource source, List<SnapshotSplit> read) throws Exception {
        SimpleVersionedSerializer<PendingSplitsState> serializer =
                source.getEnumeratorCheckpointSerializer();
        try (TestEnumeratorContext context = new TestEnumeratorContext(1)) {
            context.registerReader(0);
            SplitEnumerator<SourceSplitBase, PendingSplitsState> enumerator =
                    context.call(() -> started(source.createEnumerator(context)));
            // until a chunk of 'texts' comes: the table is being split, chunk by chunk
            do {
                read.add(readOne(context, enumerator).asSnapshotSplit());
            } while (!read.get(read.size() - 1).getTableId().table().equals("texts"));
            byte[] bytes = serializer.serialize(context.call(() -> enumerator.snapshotState(1)));
            PendingSplitsState checkpoint = serializer.deserialize(serializer.getVersion(), bytes);
            assertThat(remainingTables(checkpoint))
                    .as("tables still to split as the checkpoint was taken")
                    .isNotEmpty();
            context.run(enumerator::close);
            return checkpoint;
        }
    }

    /** Restores an enumerator from the checkpoint and reads every snapshot split it hands out. */
    private static List<SnapshotSplit> readAll(
            PostgresPipelineSource source,
            PendingSplitsState checkpoint,
            TestEnumeratorContext context)
            throws Exception {
        List<SnapshotSplit> read = new ArrayList<>();
        try (context) {
            context.registerReader(0);
            SplitEnumerator<SourceSplitBase, PendingSplitsState> restored =
                    context.call(() -> started(source.restoreEnumerator(context, checkpoint)));
            for (SourceSplitBase split = readOne(context, restored);
                    split.isSnapshotSplit();
                    split = readOne(context, restored)) {
                read.add(split.asSnapshotSplit());
            }
            context.run(restored::close);
        }
        return read;
    }

    private static void assertCoveredOnce(TestDatabase db, List<SnapshotSplit> read) {
        assertThat(rowsCovered(db, read, "small"))
                .as("rows of 'small' the chunks cover")
                .isEqualTo(10);
        assertThat(rowsCovered(db, read, "texts"))
                .as("rows of 'texts' the chunks cover")
                .isEqualTo(2000);
        Set<String> ids = new HashSet<>();
        read.forEach(
                split ->
                        assertThat(ids.add(split.splitId()))
                                .as("split id %s once", split.splitId())
                                .isTrue());
    }

    /**
     * Metric groups whose first registration on the enumerator's coordinator thread is slow: it
     * waits until another thread (the splitting) registered a group too, or 3 s.
     */
    private static final class SlowFirstMetricGroup extends UnregisteredMetricsGroup
            implements SplitEnumeratorMetricGroup {
        private final CountDownLatch otherThreadRegistered = new CountDownLatch(1);
        private final AtomicBoolean paused = new AtomicBoolean();

        @Override
        public MetricGroup addGroup(String key, String value) {
            if (!Thread.currentThread().getName().equals("test-enumerator-coordinator")) {
                otherThreadRegistered.countDown();
            } else if (paused.compareAndSet(false, true)) {
                try {
                    otherThreadRegistered.await(3, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return super.addGroup(key, value);
        }

        @Override
        public <G extends Gauge<Long>> G setUnassignedSplitsGauge(G gauge) {
            return gauge;
        }
    }

    private static void createTables(TestDatabase db) {
        db.execute(
                "CREATE TABLE small (id INT PRIMARY KEY)",
                "INSERT INTO small SELECT generate_series(1, 10)",
                "CREATE TABLE texts (id TEXT PRIMARY KEY)",
                "INSERT INTO texts SELECT 'k' || lpad(i::text, 4, '0') FROM generate_series(1,"
                        + " 2000) i");
    }

    private static PostgresPipelineSource source(TestDatabase db) {
        Map<String, String> options =
                SourceConfigs.connection(
                        db, db.name() + ".public.small, " + db.name() + ".public.texts");
        options.put("scan.incremental.snapshot.chunk.size", "10");
        return ((PostgresDataSource) SourceConfigs.create(options)).createSource();
    }

    private static SplitEnumerator<SourceSplitBase, PendingSplitsState> started(
            SplitEnumerator<SourceSplitBase, PendingSplitsState> enumerator) {
        enumerator.start();
        return enumerator;
    }

    /** Reader 0 asks for a split and, for a snapshot split, reports it finished. */
    private static SourceSplitBase readOne(
            TestEnumeratorContext context,
            SplitEnumerator<SourceSplitBase, PendingSplitsState> enumerator)
            throws Exception {
        int before = context.assigned(0).size();
        context.run(() -> enumerator.handleSplitRequest(0, "localhost"));
        assertThat(
                        TestDatabase.await(
                                Duration.ofMinutes(1), () -> context.assigned(0).size() > before))
                .as("a split for reader 0")
                .isTrue();
        SourceSplitBase split = context.assigned(0).get(before);
        if (split.isSnapshotSplit()) {
            Map<String, Offset> finished = new HashMap<>();
            finished.put(split.splitId(), FINISHED);
            context.run(
                    () ->
                            enumerator.handleSourceEvent(
                                    0, new FinishedSnapshotSplitsReportEvent(finished)));
        }
        return split;
    }

    private static List<?> remainingTables(PendingSplitsState state) {
        return ((HybridPendingSplitsState) state).getSnapshotPendingSplits().getRemainingTables();
    }

    /** How many of the table's rows the table's chunks cover, counting a row once per chunk. */
    private static long rowsCovered(TestDatabase db, List<SnapshotSplit> splits, String table) {
        long rows = 0;
        for (SnapshotSplit split : splits) {
            if (!split.getTableId().table().equals(table)) {
                continue;
            }
            Object start = split.getSplitStart() == null ? null : split.getSplitStart()[0];
            Object end = split.getSplitEnd() == null ? null : split.getSplitEnd()[0];
            rows +=
                    db.queryLong(
                            "SELECT count(*) FROM "
                                    + table
                                    + " WHERE true"
                                    + (start == null ? "" : " AND id >= " + literal(start))
                                    + (end == null ? "" : " AND id < " + literal(end)));
        }
        return rows;
    }

    private static String literal(Object value) {
        return value instanceof Number
                ? value.toString()
                : "'" + value.toString().replace("'", "''") + "'";
    }
}
