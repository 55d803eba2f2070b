package io.pgcdc.connector.source.enumerator;

import org.apache.flink.annotation.Internal;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.SourceEvent;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.cdc.connectors.base.source.assigner.AssignerStatus;
import org.apache.flink.cdc.connectors.base.source.assigner.SplitAssigner;
import org.apache.flink.cdc.connectors.base.source.assigner.StreamSplitAssigner;
import org.apache.flink.cdc.connectors.base.source.assigner.state.HybridPendingSplitsState;
import org.apache.flink.cdc.connectors.base.source.assigner.state.PendingSplitsState;
import org.apache.flink.cdc.connectors.base.source.assigner.state.StreamPendingSplitsState;
import org.apache.flink.cdc.connectors.base.source.enumerator.IncrementalSourceEnumerator;
import org.apache.flink.cdc.connectors.base.source.meta.events.LatestFinishedSplitsNumberEvent;
import org.apache.flink.cdc.connectors.base.source.meta.events.LatestFinishedSplitsNumberRequestEvent;
import org.apache.flink.cdc.connectors.base.source.meta.events.StreamSplitAssignedEvent;
import org.apache.flink.cdc.connectors.base.source.meta.events.StreamSplitMetaEvent;
import org.apache.flink.cdc.connectors.base.source.meta.events.StreamSplitMetaRequestEvent;
import org.apache.flink.cdc.connectors.base.source.meta.split.FinishedSnapshotSplitInfo;
import org.apache.flink.cdc.connectors.base.source.meta.split.SourceSplitBase;
import org.apache.flink.cdc.connectors.postgres.source.config.PostgresSourceConfig;
import org.apache.flink.cdc.connectors.postgres.source.events.OffsetCommitAckEvent;
import org.apache.flink.cdc.connectors.postgres.source.events.OffsetCommitEvent;
import org.apache.flink.cdc.connectors.postgres.source.offset.PostgresOffsetFactory;
import org.apache.flink.util.FlinkRuntimeException;

import io.debezium.connector.postgresql.PostgresConnectorConfig;
import io.pgcdc.connector.fetch.Publication;
import io.pgcdc.connector.resource.Closeables;
import io.pgcdc.connector.source.split.PostgresSplitSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

import static org.apache.flink.cdc.connectors.base.source.assigner.AssignerStatus.isNewlyAddedAssigning;
import static org.apache.flink.cdc.connectors.base.source.assigner.AssignerStatus.isNewlyAddedAssigningSnapshotFinished;

/**
 * The source's split enumerator (on the job manager). It owns its database connections ({@link
 * EnumeratorConnections}): they open in {@link #start()}, which prepares the database (stale
 * backfill slots, the publication, the job's slot) before the splits are planned, and close in
 * {@link #close()}, on every path, a failed start included.
 *
 * <p>Newly added tables: while their snapshot splits are read, the reader holding the stream split
 * must not commit offsets to the slot (the stream's start moves back to the new splits' low
 * watermarks). A split is assigned only once that reader confirmed it stopped; the request goes out
 * as soon as a reader waits for such a split.
 *
 * <p>Threading: Flink's source coordinator thread, except {@link #close()}.
 */
@Internal
public final class PgcdcSourceEnumerator extends IncrementalSourceEnumerator {

    private static final Logger LOG = LoggerFactory.getLogger(PgcdcSourceEnumerator.class);

    private final PostgresSourceConfig config;
    private final EnumeratorConnections connections;
    private final EnumeratorDialect dialect;
    private final Publication publication;
    private final SplitsPlanned splitsPlanned;

    /** Whether the job starts anew (not restored from a checkpoint). */
    private final boolean fresh;

    private final boolean newlyAddedTablesEnabled;
    private final boolean backfill;

    /** Whether the readers have been told the current snapshot phase's backfill has ended. */
    private boolean backfillEndAnnounced;

    /** The stream reader confirmed it commits no offsets (or was told it may again). */
    private boolean commitStopAcknowledged;

    /** The stream reader was asked to stop committing since the confirmation was last reset. */
    private boolean commitStopRequested;

    private volatile boolean closed;

    /** Writes the stream split's meta groups. */
    private final PostgresSplitSerializer splitSerializer =
            new PostgresSplitSerializer(new PostgresOffsetFactory());

    /**
     * The finished snapshot splits in groups of {@code chunk-meta.group.size}, built on first
     * request.
     */
    private List<List<FinishedSnapshotSplitInfo>> metaGroups;

    private int metaGroupsTotal;

    private PgcdcSourceEnumerator(
            SplitEnumeratorContext<SourceSplitBase> context,
            PostgresSourceConfig config,
            SplitAssigner assigner,
            EnumeratorConnections connections,
            EnumeratorDialect dialect,
            SplitsPlanned splitsPlanned,
            Publication publication,
            Boundedness boundedness,
            boolean fresh) {
        super(context, config, assigner, boundedness);
        this.fresh = fresh;
        this.config = config;
        this.connections = connections;
        this.dialect = dialect;
        this.splitsPlanned = splitsPlanned;
        this.publication = publication;
        this.newlyAddedTablesEnabled = config.isScanNewlyAddedTableEnabled();
        this.backfill =
                !config.isSkipSnapshotBackfill() && !config.getStartupOptions().isStreamOnly();
    }

    /** The enumerator of a new job. Opens nothing: that happens in {@link #start()}. */
    public static PgcdcSourceEnumerator create(
            SplitEnumeratorContext<SourceSplitBase> context,
            PostgresSourceConfig config,
            Publication publication,
            Boundedness boundedness) {
        return build(context, config, publication, boundedness, null);
    }

    /** The enumerator of a job restored from a checkpoint. Opens nothing: see {@link #start()}. */
    public static PgcdcSourceEnumerator restore(
            SplitEnumeratorContext<SourceSplitBase> context,
            PostgresSourceConfig config,
            Publication publication,
            Boundedness boundedness,
            PendingSplitsState checkpoint) {
        return build(context, config, publication, boundedness, checkpoint);
    }

    private static PgcdcSourceEnumerator build(
            SplitEnumeratorContext<SourceSplitBase> context,
            PostgresSourceConfig config,
            Publication publication,
            Boundedness boundedness,
            PendingSplitsState checkpoint) {
        EnumeratorConnections connections = new EnumeratorConnections(config);
        EnumeratorDialect dialect = new EnumeratorDialect(config, connections);
        PostgresOffsetFactory offsets = new PostgresOffsetFactory();
        SplitsPlanned splitsPlanned = new SplitsPlanned();
        SplitAssigner assigner;
        if (checkpoint == null && config.getStartupOptions().isStreamOnly()) {
            assigner = new StreamSplitAssigner(config, dialect, offsets, context);
        } else if (checkpoint == null) {
            int parallelism = context.currentParallelism();
            assigner =
                    new SnapshotThenStreamAssigner(
                            config,
                            SnapshotAssigner.fresh(config, parallelism, dialect, offsets),
                            false,
                            offsets,
                            context,
                            splitsPlanned);
        } else if (checkpoint instanceof HybridPendingSplitsState) {
            HybridPendingSplitsState hybrid = (HybridPendingSplitsState) checkpoint;
            SnapshotAssigner snapshot =
                    SnapshotAssigner.restored(
                            config,
                            context.currentParallelism(),
                            dialect,
                            offsets,
                            hybrid.getSnapshotPendingSplits());
            assigner =
                    new SnapshotThenStreamAssigner(
                            config,
                            snapshot,
                            hybrid.isStreamSplitAssigned(),
                            offsets,
                            context,
                            splitsPlanned);
        } else if (checkpoint instanceof StreamPendingSplitsState) {
            assigner =
                    new StreamSplitAssigner(
                            config,
                            (StreamPendingSplitsState) checkpoint,
                            dialect,
                            offsets,
                            context);
        } else {
            throw new UnsupportedOperationException(
                    "Unsupported restored enumerator state: " + checkpoint);
        }
        return new PgcdcSourceEnumerator(
                context,
                config,
                assigner,
                connections,
                dialect,
                splitsPlanned,
                publication,
                boundedness,
                checkpoint == null);
    }

    /**
     * Prepares the database, then starts planning the splits. A failure closes what was opened
     * before it is thrown (the coordinator closes the enumerator too; closing is idempotent).
     */
    @Override
    public void start() {
        try {
            prepareDatabase();
            splitsPlanned.onPlanned(() -> context.runInCoordinatorThread(this::assignSplits));
            super.start();
            announceBackfillEnd();
        } catch (RuntimeException e) {
            try {
                close();
            } catch (Exception closeFailure) {
                e.addSuppressed(closeFailure);
            }
            throw e;
        }
    }

    /**
     * Stale backfill slots go, the publication is ready, the job's slot exists. A new {@code
     * snapshot}-mode job starts from a fresh slot of its own (a restored one goes on with it).
     */
    private void prepareDatabase() {
        String slotName = dialect.getSlotName();
        String plugin =
                PostgresConnectorConfig.LogicalDecoder.parse(dialect.getPluginName())
                        .getPostgresPluginName();
        connections.dropStaleBackfillSlots(slotName, plugin);
        try {
            if ("pgoutput".equals(plugin)) {
                publication.prepare(
                        connections.handle(), () -> dialect.discoverDataCollections(config));
            }
            if (fresh && config.getStartupOptions().isSnapshotOnly()) {
                connections.dropInactiveSlot(slotName);
            }
            connections.createSlotIfMissing(slotName, plugin);
        } catch (SQLException e) {
            throw new FlinkRuntimeException(
                    "Cannot prepare the database for the job: " + e.getMessage(), e);
        }
    }

    /**
     * Flink hands back a reset subtask's splits not covered by the checkpoint it restores, also
     * when there are none; flink-cdc-base's stream-only assigner took any call for "the stream
     * split came back" and created a second stream split (FLINK-38618), which competed with the
     * restored one for the slot.
     */
    @Override
    public void addSplitsBack(List<SourceSplitBase> splits, int subtaskId) {
        if (!splits.isEmpty()) {
            super.addSplitsBack(splits, subtaskId);
        }
    }

    @Override
    protected void assignSplits() {
        if (closed) {
            return; // a split request the coordinator still hands over after closing us
        }
        if (newlyAddedTablesEnabled
                && streamSplitTaskId != null
                && !commitStopAcknowledged
                && isNewlyAddedAssigning(splitAssigner.getAssignerStatus())) {
            if (!readersAwaitingSplit.isEmpty() && !commitStopRequested) {
                commitStopRequested = true;
                LOG.info(
                        "Asking subtask {} to stop committing offsets before newly added tables are"
                                + " read",
                        streamSplitTaskId);
                context.sendEventToSourceReader(streamSplitTaskId, new OffsetCommitEvent(false));
            }
            return; // the readers wait for the confirmation
        }
        try {
            super.assignSplits();
        } catch (RuntimeException e) {
            if (!closed) {
                throw e;
            }
            LOG.info("A split request ended with the enumerator's close: {}", e.getMessage());
        }
    }

    @Override
    public void handleSourceEvent(int subtaskId, SourceEvent event) {
        if (event instanceof OffsetCommitAckEvent) {
            if (streamSplitTaskId != null && streamSplitTaskId == subtaskId) {
                commitStopAcknowledged = true;
                assignSplits(); // the readers that waited for it
            } else {
                LOG.info(
                        "Subtask {} acknowledged an offset-commit event, but no longer holds the"
                                + " stream split",
                        subtaskId);
            }
            return;
        }
        if (event instanceof StreamSplitMetaRequestEvent) {
            sendStreamSplitMeta(subtaskId, (StreamSplitMetaRequestEvent) event);
            return;
        }
        if (event instanceof LatestFinishedSplitsNumberRequestEvent) {
            // flink-cdc-base answers only for its own hybrid assigner class
            if (splitAssigner instanceof SnapshotThenStreamAssigner) {
                context.sendEventToSourceReader(
                        subtaskId,
                        new LatestFinishedSplitsNumberEvent(
                                splitAssigner.getFinishedSplitInfos().size()));
            }
            return;
        }
        super.handleSourceEvent(subtaskId, event);
        if (event instanceof StreamSplitAssignedEvent) {
            commitStopAcknowledged = false;
            commitStopRequested = false;
        }
        announceBackfillEnd();
    }

    /**
     * Answers a reader's request for a group of the stream split's finished snapshot splits, as
     * flink-cdc-base does, but with the tables named in {@link PostgresSplitSerializer}'s form
     * (flink-cdc-base sends them unquoted: {@code my table} or {@code d.e} did not survive).
     */
    private void sendStreamSplitMeta(int subtaskId, StreamSplitMetaRequestEvent request) {
        int readersTotal = request.getTotalFinishedSplitSize();
        if (metaGroups == null || readersTotal != metaGroupsTotal) {
            // (again) from the assigner: newly added tables add finished splits
            List<FinishedSnapshotSplitInfo> infos = splitAssigner.getFinishedSplitInfos();
            if (infos.isEmpty()) {
                throw new FlinkRuntimeException(
                        "Subtask "
                                + subtaskId
                                + " asked for the stream split's finished snapshot splits, but none"
                                + " has finished");
            }
            int size = config.getSplitMetaGroupSize();
            metaGroups = new ArrayList<>();
            for (int from = 0; from < infos.size(); from += size) {
                metaGroups.add(infos.subList(from, Math.min(infos.size(), from + size)));
            }
            metaGroupsTotal = infos.size();
        }
        int group = request.getRequestMetaGroupId();
        if (readersTotal > metaGroupsTotal) {
            LOG.warn(
                    "Subtask {} expects {} finished snapshot splits, the enumerator has {}: it"
                            + " truncates its list",
                    subtaskId,
                    readersTotal,
                    metaGroupsTotal);
            context.sendEventToSourceReader(
                    subtaskId,
                    new StreamSplitMetaEvent(request.getSplitId(), group, null, metaGroupsTotal));
        } else if (group < metaGroups.size()) {
            List<byte[]> serialized = new ArrayList<>();
            for (FinishedSnapshotSplitInfo info : metaGroups.get(group)) {
                serialized.add(splitSerializer.serializeFinishedSplitInfo(info));
            }
            context.sendEventToSourceReader(
                    subtaskId,
                    new StreamSplitMetaEvent(
                            request.getSplitId(), group, serialized, metaGroupsTotal));
        } else {
            throw new FlinkRuntimeException(
                    String.format(
                            "Subtask %d asked for meta group %d of the stream split; there are %d"
                                    + " (%d finished snapshot splits, the reader expects %d)",
                            subtaskId, group, metaGroups.size(), metaGroupsTotal, readersTotal));
        }
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) {
        super.notifyCheckpointComplete(checkpointId);
        announceBackfillEnd();
    }

    /** A reader that registers (again, after a failover) learns whether the backfill has ended. */
    @Override
    public void addReader(int subtaskId) {
        super.addReader(subtaskId);
        if (backfill && backfillEndAnnounced) {
            context.sendEventToSourceReader(subtaskId, new BackfillEndedEvent());
        }
    }

    /**
     * Tells the readers, once per snapshot phase, that no snapshot split is left to read: their
     * backfill slots can go (see {@link BackfillEndedEvent}).
     */
    private void announceBackfillEnd() {
        if (!backfill) {
            return;
        }
        AssignerStatus status = splitAssigner.getAssignerStatus();
        boolean ended =
                AssignerStatus.isAssigningFinished(status)
                        || isNewlyAddedAssigningSnapshotFinished(status);
        if (!ended) {
            backfillEndAnnounced = false; // (again) a snapshot phase: newly added tables
        } else if (!backfillEndAnnounced) {
            backfillEndAnnounced = true;
            LOG.info("Every snapshot split has finished: the readers drop their backfill slots");
            for (int reader : context.registeredReaders().keySet()) {
                context.sendEventToSourceReader(reader, new BackfillEndedEvent());
            }
        }
    }

    /**
     * The periodic reader sync; with newly added tables enabled it also tells the stream reader
     * whether it may commit offsets (it may not while newly added tables are snapshotted).
     */
    @Override
    protected void syncWithReaders(int[] subtaskIds, Throwable t) {
        super.syncWithReaders(subtaskIds, t);
        if (!commitStopAcknowledged && newlyAddedTablesEnabled && streamSplitTaskId != null) {
            AssignerStatus status = splitAssigner.getAssignerStatus();
            context.sendEventToSourceReader(
                    streamSplitTaskId,
                    new OffsetCommitEvent(
                            !isNewlyAddedAssigning(status)
                                    && !isNewlyAddedAssigningSnapshotFinished(status)));
        }
    }

    /**
     * Cancels the statement running on the enumerator's connection (a chunk query, a slot
     * creation), stops the split planning, closes the connection; idempotent.
     */
    @Override
    public void close() throws IOException {
        closed = true;
        try {
            Closeables.closeInOrder(connections::cancelRunningStatement, super::close, connections);
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("Closing the enumerator failed", e);
        }
    }

    /**
     * What runs when the snapshot planning has new splits: the enumerator assigns them to the
     * readers waiting (set in {@link #start()}, before the planning starts).
     */
    static final class SplitsPlanned implements Runnable {
        private volatile Runnable action = () -> {};

        void onPlanned(Runnable newAction) {
            this.action = newAction;
        }

        @Override
        public void run() {
            action.run();
        }
    }
}
