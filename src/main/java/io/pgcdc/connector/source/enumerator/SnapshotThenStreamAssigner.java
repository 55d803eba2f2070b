package io.pgcdc.connector.source.enumerator;

import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.cdc.connectors.base.source.assigner.AssignerStatus;
import org.apache.flink.cdc.connectors.base.source.assigner.SplitAssigner;
import org.apache.flink.cdc.connectors.base.source.assigner.state.HybridPendingSplitsState;
import org.apache.flink.cdc.connectors.base.source.assigner.state.PendingSplitsState;
import org.apache.flink.cdc.connectors.base.source.meta.offset.Offset;
import org.apache.flink.cdc.connectors.base.source.meta.offset.OffsetFactory;
import org.apache.flink.cdc.connectors.base.source.meta.split.FinishedSnapshotSplitInfo;
import org.apache.flink.cdc.connectors.base.source.meta.split.SnapshotSplit;
import org.apache.flink.cdc.connectors.base.source.meta.split.SourceSplitBase;
import org.apache.flink.cdc.connectors.base.source.meta.split.StreamSplit;
import org.apache.flink.cdc.connectors.base.source.metrics.SourceEnumeratorMetrics;
import org.apache.flink.cdc.connectors.postgres.source.config.PostgresSourceConfig;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.apache.flink.cdc.connectors.base.source.assigner.AssignerStatus.isInitialAssigningFinished;
import static org.apache.flink.cdc.connectors.base.source.assigner.AssignerStatus.isNewlyAddedAssigningFinished;
import static org.apache.flink.cdc.connectors.base.source.assigner.AssignerStatus.isNewlyAddedAssigningSnapshotFinished;

/**
 * Snapshot first, then the stream: the snapshot splits of {@link SnapshotAssigner}, then, once they
 * are all finished and a checkpoint completed after them, the one stream split, starting at the
 * earliest high watermark of the snapshot splits. Its checkpoint state has the format of
 * flink-cdc-base's hybrid assigner, so savepoints carry over in both directions.
 *
 * <p>Threading: the enumerator's coordinator thread; see {@link SnapshotAssigner} for its planning
 * thread.
 */
final class SnapshotThenStreamAssigner implements SplitAssigner {

    private static final String STREAM_SPLIT_ID = "stream-split";

    private final PostgresSourceConfig config;
    private final SnapshotAssigner snapshot;
    private final OffsetFactory offsetFactory;
    private final SplitEnumeratorContext<?> context;
    private final Runnable splitsPlanned;
    private boolean streamSplitAssigned;
    private SourceEnumeratorMetrics metrics;

    SnapshotThenStreamAssigner(
            PostgresSourceConfig config,
            SnapshotAssigner snapshot,
            boolean streamSplitAssigned,
            OffsetFactory offsetFactory,
            SplitEnumeratorContext<?> context,
            Runnable splitsPlanned) {
        this.config = config;
        this.snapshot = snapshot;
        this.streamSplitAssigned = streamSplitAssigned;
        this.offsetFactory = offsetFactory;
        this.context = context;
        this.splitsPlanned = splitsPlanned;
    }

    @Override
    public void open() {
        metrics = new SourceEnumeratorMetrics(context.metricGroup());
        if (streamSplitAssigned) {
            metrics.enterStreamReading();
        } else {
            metrics.exitStreamReading();
        }
        snapshot.open(metrics, splitsPlanned);
    }

    @Override
    public Optional<SourceSplitBase> getNext() {
        AssignerStatus status = snapshot.status();
        if (isNewlyAddedAssigningSnapshotFinished(status)) {
            return Optional
                    .empty(); // the stream split is being updated with the newly added tables
        }
        if (!snapshot.noMoreSplits()) {
            return snapshot.getNext().map(SourceSplitBase.class::cast);
        }
        metrics.exitSnapshotPhase();
        if (streamSplitAssigned) {
            return Optional.empty();
        }
        if (isInitialAssigningFinished(status)) {
            // only now: a stream record must not overtake a snapshot record of the same key
            streamSplitAssigned = true;
            metrics.enterStreamReading();
            return Optional.of(createStreamSplit());
        }
        if (isNewlyAddedAssigningFinished(status)) {
            // the reader that holds the stream split resumes it; there is no new one
            streamSplitAssigned = true;
            metrics.enterStreamReading();
        }
        return Optional.empty();
    }

    private StreamSplit createStreamSplit() {
        List<FinishedSnapshotSplitInfo> finished = new ArrayList<>(snapshot.finishedSplitInfos());
        finished.sort(Comparator.comparing(FinishedSnapshotSplitInfo::getSplitId));
        Offset start = null;
        Offset end = null;
        for (FinishedSnapshotSplitInfo split : finished) {
            Offset highWatermark = split.getHighWatermark();
            if (start == null || highWatermark.isBefore(start)) {
                start = highWatermark;
            }
            if (end == null || highWatermark.isAfter(end)) {
                end = highWatermark;
            }
        }
        // the snapshot startup mode streams up to the last high watermark: a consistent view
        Offset stop =
                config.getStartupOptions().isSnapshotOnly()
                        ? end
                        : offsetFactory.createNoStoppingOffset();
        // many finished splits are sent to the reader in groups, on request
        boolean inGroups = finished.size() > config.getSplitMetaGroupSize();
        // The stream starts at the snapshot's high watermark, so it starts from the schemas the
        // snapshot read; the catalog may be ahead by now (the split is created a checkpoint after
        // the snapshot ends, or after a restore), and DDL in between is replayed from the WAL.
        return new StreamSplit(
                STREAM_SPLIT_ID,
                start == null ? offsetFactory.createInitialOffset() : start,
                stop,
                inGroups ? new ArrayList<>() : finished,
                snapshot.tableSchemas(),
                finished.size(),
                false,
                true);
    }

    @Override
    public boolean waitingForFinishedSplits() {
        return snapshot.waitingForFinishedSplits();
    }

    @Override
    public List<FinishedSnapshotSplitInfo> getFinishedSplitInfos() {
        return snapshot.finishedSplitInfos();
    }

    @Override
    public void onFinishedSplits(Map<String, Offset> splitFinishedOffsets) {
        snapshot.onFinishedSplits(splitFinishedOffsets);
    }

    @Override
    public void addSplits(Collection<SourceSplitBase> splits) {
        List<SnapshotSplit> snapshotSplits = new ArrayList<>();
        for (SourceSplitBase split : splits) {
            if (split.isSnapshotSplit()) {
                snapshotSplits.add(split.asSnapshotSplit());
            } else {
                // not stored: a new stream split is created from the finished snapshot splits
                streamSplitAssigned = false;
            }
        }
        if (!snapshotSplits.isEmpty()) {
            metrics.exitStreamReading();
            snapshot.addSplits(snapshotSplits);
        }
    }

    @Override
    public PendingSplitsState snapshotState(long checkpointId) {
        return new HybridPendingSplitsState(
                snapshot.snapshotState(checkpointId), streamSplitAssigned);
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) {
        snapshot.notifyCheckpointComplete(checkpointId);
    }

    @Override
    public AssignerStatus getAssignerStatus() {
        return snapshot.status();
    }

    @Override
    public void startAssignNewlyAddedTables() {
        snapshot.startAssignNewlyAddedTables();
    }

    @Override
    public void onStreamSplitUpdated() {
        snapshot.onStreamSplitUpdated();
    }

    @Override
    public boolean noMoreSplits() {
        return snapshot.noMoreSplits() && streamSplitAssigned;
    }

    @Override
    public void close() {
        try {
            snapshot.close();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("Closing the snapshot assigner failed", e);
        }
    }
}
