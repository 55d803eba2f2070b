package io.pgcdc.connector.source.enumerator;

import org.apache.flink.cdc.connectors.base.source.assigner.AssignerStatus;
import org.apache.flink.cdc.connectors.base.source.assigner.splitter.ChunkSplitter;
import org.apache.flink.cdc.connectors.base.source.assigner.state.ChunkSplitterState;
import org.apache.flink.cdc.connectors.base.source.assigner.state.SnapshotPendingSplitsState;
import org.apache.flink.cdc.connectors.base.source.meta.offset.Offset;
import org.apache.flink.cdc.connectors.base.source.meta.offset.OffsetFactory;
import org.apache.flink.cdc.connectors.base.source.meta.split.FinishedSnapshotSplitInfo;
import org.apache.flink.cdc.connectors.base.source.meta.split.SchemalessSnapshotSplit;
import org.apache.flink.cdc.connectors.base.source.meta.split.SnapshotSplit;
import org.apache.flink.cdc.connectors.base.source.metrics.SourceEnumeratorMetrics;
import org.apache.flink.cdc.connectors.postgres.source.config.PostgresSourceConfig;
import org.apache.flink.util.FlinkRuntimeException;

import io.debezium.relational.TableId;
import io.debezium.relational.history.TableChanges.TableChange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.apache.flink.cdc.connectors.base.source.assigner.AssignerStatus.INITIAL_ASSIGNING;
import static org.apache.flink.cdc.connectors.base.source.assigner.AssignerStatus.isAssigningFinished;
import static org.apache.flink.cdc.connectors.base.source.assigner.AssignerStatus.isAssigningSnapshotSplits;

/**
 * The snapshot splits of the captured tables: planned (each table split into chunks) by a thread of
 * its own, handed out to readers, tracked until they are finished, and checkpointed.
 *
 * <p>Consistency: the planning thread queries the database without holding the state's lock, then
 * records a step's chunks and the chunk splitter's position after them in one step under it; {@link
 * #snapshotState} copies the state under the same lock. A checkpoint therefore holds every planned
 * chunk exactly once whatever the planning thread is doing: none planned again after a restore,
 * none lost. The metrics are registered before the planning starts.
 *
 * <p>Threading: every method but the planning runs on the enumerator's coordinator thread; the
 * planning thread ({@code pgcdc-snapshot-planner}) shares with it only what {@code lock} guards.
 * {@link #getNext} never waits for the planning: while the next chunks are being planned it returns
 * nothing, and the planning thread runs {@code splitsPlanned} after each step so that the
 * enumerator hands them out.
 */
final class SnapshotAssigner {

    private static final Logger LOG = LoggerFactory.getLogger(SnapshotAssigner.class);
    private static final long UNDEFINED_CHECKPOINT_ID = -1;
    private static final long PLANNER_STOP_TIMEOUT_SECONDS = 10;

    private final PostgresSourceConfig config;
    private final int parallelism;
    private final EnumeratorDialect dialect;
    private final OffsetFactory offsetFactory;
    private final boolean caseSensitive;

    private final Object lock = new Object();
    // guarded by lock
    private final Set<TableId> alreadyProcessedTables;
    private final Deque<SchemalessSnapshotSplit> remainingSplits;
    private final Map<String, SchemalessSnapshotSplit> assignedSplits;
    private final Map<TableId, TableChange> tableSchemas;
    private final Map<String, Offset> splitFinishedOffsets;
    private final Map<String, Long> splitFinishedCheckpointIds;
    private final Set<TableId> remainingTables;
    private AssignerStatus status;

    /** The chunk splitter's position after the chunks in {@link #remainingSplits}. */
    private ChunkSplitterState plannedUpTo;

    private Long checkpointIdToFinish;

    /** Whether Flink has asked for a checkpoint of this enumerator since it started. */
    private boolean checkpointTaken;

    private Throwable planningFailure;
    private boolean closed;

    // set in open(), then used by the planning thread only
    private ChunkSplitter splitter;
    private Runnable splitsPlanned;
    private ExecutorService planner;
    private SourceEnumeratorMetrics metrics;

    private SnapshotAssigner(
            PostgresSourceConfig config,
            int parallelism,
            EnumeratorDialect dialect,
            OffsetFactory offsetFactory,
            SnapshotPendingSplitsState state) {
        this.config = config;
        this.parallelism = parallelism;
        this.dialect = dialect;
        this.offsetFactory = offsetFactory;
        this.caseSensitive = state.isTableIdCaseSensitive();
        this.alreadyProcessedTables = new LinkedHashSet<>(state.getAlreadyProcessedTables());
        this.remainingSplits = new ArrayDeque<>(state.getRemainingSplits());
        // sorted, so that a restored job hands out only the newly added tables' stream split meta
        this.assignedSplits = new LinkedHashMap<>();
        state.getAssignedSplits().entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .forEach(entry -> assignedSplits.put(entry.getKey(), entry.getValue()));
        this.tableSchemas = new HashMap<>(state.getTableSchemas());
        this.splitFinishedOffsets = new HashMap<>(state.getSplitFinishedOffsets());
        this.splitFinishedCheckpointIds =
                state.getSplitFinishedCheckpointIds() == null
                        ? new HashMap<>()
                        : new HashMap<>(state.getSplitFinishedCheckpointIds());
        this.remainingTables = new LinkedHashSet<>(state.getRemainingTables());
        this.status = state.getSnapshotAssignerStatus();
        this.plannedUpTo = restoredPosition(state.getChunkSplitterState(), remainingTables);
    }

    /**
     * The splitting position as restored, naming its table as the remaining tables do.
     * flink-cdc-base writes the table being split as {@code "schema"."table"} and reads that back
     * as catalog {@code schema} of no schema (PostgreSQL ids have no catalog), so the restored
     * splitter queried a table of no schema; its own assigner then dropped the position and split
     * the table again from its first chunk, handing out chunks twice. (Debezium's ids are equal
     * when their text is: the two cannot be told apart by {@code equals}.)
     */
    private static ChunkSplitterState restoredPosition(
            ChunkSplitterState position, Set<TableId> remainingTables) {
        TableId restored = position.getCurrentSplittingTableId();
        if (restored == null) {
            return position;
        }
        String schema = restored.schema() != null ? restored.schema() : restored.catalog();
        for (TableId table : remainingTables) {
            if (table.table().equals(restored.table()) && schema.equals(table.schema())) {
                return new ChunkSplitterState(
                        table, position.getNextChunkStart(), position.getNextChunkId());
            }
        }
        throw new IllegalStateException(
                "The restored state splits table "
                        + restored
                        + ", which is not among its remaining tables "
                        + remainingTables);
    }

    /** An assigner for a new job: the captured tables are discovered when it opens. */
    static SnapshotAssigner fresh(
            PostgresSourceConfig config,
            int parallelism,
            EnumeratorDialect dialect,
            OffsetFactory offsetFactory) {
        SnapshotPendingSplitsState empty =
                new SnapshotPendingSplitsState(
                        new ArrayList<>(),
                        new ArrayList<>(),
                        new HashMap<>(),
                        new HashMap<>(),
                        new HashMap<>(),
                        INITIAL_ASSIGNING,
                        new ArrayList<>(),
                        dialect.isDataCollectionIdCaseSensitive(config),
                        true,
                        new HashMap<>(),
                        ChunkSplitterState.NO_SPLITTING_TABLE_STATE);
        return new SnapshotAssigner(config, parallelism, dialect, offsetFactory, empty);
    }

    /** An assigner restored from a checkpoint. */
    static SnapshotAssigner restored(
            PostgresSourceConfig config,
            int parallelism,
            EnumeratorDialect dialect,
            OffsetFactory offsetFactory,
            SnapshotPendingSplitsState state) {
        return new SnapshotAssigner(config, parallelism, dialect, offsetFactory, state);
    }

    /**
     * Discovers the tables (new job) or the newly added ones (restored job), registers the metrics,
     * then starts planning; {@code splitsPlanned} runs on the planning thread after each step.
     */
    void open(SourceEnumeratorMetrics enumeratorMetrics, Runnable splitsPlanned) {
        this.metrics = enumeratorMetrics;
        this.splitsPlanned = splitsPlanned;
        boolean isNew;
        synchronized (lock) {
            isNew =
                    remainingTables.isEmpty()
                            && remainingSplits.isEmpty()
                            && alreadyProcessedTables.isEmpty();
        }
        List<TableId> discovered = isNew || capturesNewlyAddedTables() ? discover() : null;
        synchronized (lock) {
            if (isNew) {
                remainingTables.addAll(discovered);
            } else if (discovered != null) {
                applyCapturedTables(discovered);
            }
            registerMetrics();
        }
        splitter = dialect.createChunkSplitter(config, plannedUpTo);
        splitter.open();
        planner =
                Executors.newSingleThreadExecutor(
                        runnable -> {
                            Thread thread = new Thread(runnable, "pgcdc-snapshot-planner");
                            thread.setDaemon(true);
                            return thread;
                        });
        planner.execute(this::planRemainingTables);
    }

    private List<TableId> discover() {
        try {
            return dialect.discoverDataCollections(config);
        } catch (RuntimeException e) {
            throw new FlinkRuntimeException(
                    "Failed to discover the captured tables: " + e.getMessage(), e);
        }
    }

    private boolean capturesNewlyAddedTables() {
        synchronized (lock) {
            return config.isScanNewlyAddedTableEnabled()
                    && !config.getStartupOptions().isSnapshotOnly()
                    && isAssigningFinished(status);
        }
    }

    /**
     * A restored job whose {@code tables} now match other tables than before: tables no longer
     * matched leave the state, newly matched ones are snapshotted (the newly-added-tables phase).
     */
    private void applyCapturedTables(List<TableId> captured) {
        Set<TableId> previous = new HashSet<>(alreadyProcessedTables);
        previous.addAll(remainingTables);
        remainingSplits.forEach(split -> previous.add(split.getTableId()));
        Set<TableId> removed = new HashSet<>(previous);
        captured.forEach(removed::remove);
        if (!removed.isEmpty()) {
            LOG.info("Tables no longer captured leave the enumerator's state: {}", removed);
            assignedSplits
                    .values()
                    .removeIf(
                            split -> {
                                boolean gone = removed.contains(split.getTableId());
                                if (gone) {
                                    splitFinishedOffsets.remove(split.splitId());
                                }
                                return gone;
                            });
            tableSchemas.keySet().removeAll(removed);
            remainingSplits.removeIf(split -> removed.contains(split.getTableId()));
            remainingTables.removeAll(removed);
            alreadyProcessedTables.removeAll(removed);
        }
        List<TableId> added = new ArrayList<>();
        for (TableId table : captured) {
            if (!previous.contains(table)) {
                added.add(table);
            }
        }
        if (!added.isEmpty()) {
            LOG.info("Newly added tables to snapshot, then stream: {}", added);
            remainingTables.addAll(added);
            status = status.startAssignNewlyTables();
        }
    }

    private void registerMetrics() {
        metrics.enterSnapshotPhase();
        metrics.registerMetrics(
                alreadyProcessedTables::size, assignedSplits::size, remainingSplits::size);
        Set<TableId> pending = new HashSet<>(remainingTables);
        remainingSplits.forEach(split -> pending.add(split.getTableId()));
        pending.removeAll(alreadyProcessedTables);
        metrics.addNewTables(pending.size());
        remainingSplits.forEach(
                split -> metrics.getTableMetrics(split.getTableId()).addNewSplit(split.splitId()));
        assignedSplits
                .values()
                .forEach(
                        split ->
                                metrics.getTableMetrics(split.getTableId())
                                        .addProcessedSplit(split.splitId()));
        splitFinishedOffsets
                .keySet()
                .forEach(
                        id -> {
                            SchemalessSnapshotSplit split = assignedSplits.get(id);
                            if (split != null) {
                                metrics.getTableMetrics(split.getTableId()).addFinishedSplit(id);
                            }
                        });
    }

    // ------------------------------------------------------------------------------------------
    // The planning thread
    // ------------------------------------------------------------------------------------------

    private void planRemainingTables() {
        Map<TableId, Integer> planned = new HashMap<>();
        try {
            for (TableId table = nextTableToPlan(); table != null; table = nextTableToPlan()) {
                long start = System.nanoTime();
                Collection<SnapshotSplit> splits =
                        splitter.generateSplits(table); // queries; no lock held
                boolean first = !planned.containsKey(table);
                planned.merge(table, splits.size(), Integer::sum);
                if (!recordPlanned(table, splits, first)) {
                    return;
                }
                if (!splitter.hasNextChunk()) {
                    LOG.info(
                            "Split table {} into {} chunks ({} ms for the last step)",
                            table,
                            planned.get(table),
                            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
                }
                splitsPlanned.run();
            }
        } catch (Throwable t) {
            synchronized (lock) {
                if (closed) {
                    LOG.debug("The snapshot planning ended with the enumerator: {}", t.toString());
                    return;
                }
                planningFailure = t;
            }
            splitsPlanned.run(); // the enumerator reports the failure at its next assignment
        }
    }

    private TableId nextTableToPlan() {
        synchronized (lock) {
            if (closed) {
                return null;
            }
            if (splitter.hasNextChunk()) {
                return splitter.getCurrentSplittingTableId();
            }
            if (remainingTables.isEmpty()) {
                return null;
            }
            List<TableId> upcoming = new ArrayList<>(BatchedSchemaReader.BATCH_SIZE);
            for (TableId table : remainingTables) {
                if (upcoming.size() == BatchedSchemaReader.BATCH_SIZE) {
                    break;
                }
                upcoming.add(table);
            }
            dialect.readAhead(upcoming);
            return upcoming.get(0);
        }
    }

    /** Records one planning step; false if the assigner closed meanwhile. */
    private boolean recordPlanned(
            TableId table, Collection<SnapshotSplit> splits, boolean firstOfTable) {
        synchronized (lock) {
            if (closed) {
                return false;
            }
            List<String> ids = new ArrayList<>(splits.size());
            for (SnapshotSplit split : splits) {
                if (firstOfTable) {
                    tableSchemas.putAll(split.getTableSchemas());
                    firstOfTable = false;
                }
                SchemalessSnapshotSplit schemaless = split.toSchemalessSnapshotSplit();
                if (config.isAssignUnboundedChunkFirst() && split.getSplitEnd() == null) {
                    remainingSplits.addFirst(schemaless);
                } else {
                    remainingSplits.addLast(schemaless);
                }
                ids.add(schemaless.splitId());
            }
            metrics.getTableMetrics(table).addNewSplits(ids);
            if (!splitter.hasNextChunk()) {
                remainingTables.remove(table);
            }
            plannedUpTo = splitter.snapshotState(UNDEFINED_CHECKPOINT_ID);
            return true;
        }
    }

    // ------------------------------------------------------------------------------------------
    // The coordinator thread
    // ------------------------------------------------------------------------------------------

    /** The next planned split, or nothing while none is planned (yet). */
    Optional<SnapshotSplit> getNext() {
        synchronized (lock) {
            if (planningFailure != null) {
                throw new FlinkRuntimeException(
                        "Splitting the captured tables into chunks failed: "
                                + planningFailure.getMessage(),
                        planningFailure);
            }
            SchemalessSnapshotSplit split = remainingSplits.pollFirst();
            if (split == null) {
                return Optional.empty();
            }
            TableId table = split.getTableId();
            assignedSplits.put(split.splitId(), split);
            if (alreadyProcessedTables.add(table)) {
                metrics.startSnapshotTables(1);
            }
            metrics.getTableMetrics(table).finishProcessSplit(split.splitId());
            return Optional.of(split.toSnapshotSplit(tableSchemas.get(table)));
        }
    }

    /** Splits that failed on a reader, to be handed out again. */
    void addSplits(Collection<SnapshotSplit> splits) {
        synchronized (lock) {
            for (SnapshotSplit split : splits) {
                tableSchemas.putAll(split.getTableSchemas());
                remainingSplits.addLast(split.toSchemalessSnapshotSplit());
                assignedSplits.remove(split.splitId());
                splitFinishedOffsets.remove(split.splitId());
                SourceEnumeratorMetrics.TableMetrics tableMetrics =
                        metrics.getTableMetrics(split.getTableId());
                tableMetrics.reprocessSplit(split.splitId());
                tableMetrics.removeFinishedSplit(split.splitId());
            }
        }
    }

    void onFinishedSplits(Map<String, Offset> finished) {
        synchronized (lock) {
            splitFinishedOffsets.putAll(finished);
            finished.keySet()
                    .forEach(id -> splitFinishedCheckpointIds.put(id, UNDEFINED_CHECKPOINT_ID));
            if (allSplitsFinished() && isAssigningSnapshotSplits(status)) {
                if (parallelism == 1) {
                    // one reader: its snapshot records precede its stream records anyway
                    status = status.onFinish();
                } else if (checkpointTaken) {
                    LOG.info(
                            "All snapshot splits finished; the stream starts after the next"
                                    + " completed checkpoint");
                } else {
                    // the usual reason a first try shows the snapshot and then nothing
                    LOG.warn(
                            "All snapshot splits finished; at parallelism {} the stream starts only"
                                + " after the next completed checkpoint, and no checkpoint has been"
                                + " taken yet. If checkpointing is disabled (it always is under"
                                + " flink-cdc.sh --use-mini-cluster), the stream never starts: set"
                                + " execution.checkpointing.interval, or run at parallelism 1",
                            parallelism);
                }
            }
        }
    }

    /** A copy of the state, taken atomically with respect to the planning thread. */
    SnapshotPendingSplitsState snapshotState(long checkpointId) {
        synchronized (lock) {
            checkpointTaken = true;
            splitFinishedCheckpointIds.replaceAll(
                    (id, checkpoint) ->
                            checkpoint == UNDEFINED_CHECKPOINT_ID ? checkpointId : checkpoint);
            SnapshotPendingSplitsState state =
                    new SnapshotPendingSplitsState(
                            new ArrayList<>(alreadyProcessedTables),
                            new ArrayList<>(remainingSplits),
                            new LinkedHashMap<>(assignedSplits),
                            new HashMap<>(tableSchemas),
                            new HashMap<>(splitFinishedOffsets),
                            status,
                            new ArrayList<>(remainingTables),
                            caseSensitive,
                            true,
                            new HashMap<>(splitFinishedCheckpointIds),
                            plannedUpTo);
            // the snapshot is finished once a checkpoint taken after its last split completes
            if (checkpointIdToFinish == null
                    && isAssigningSnapshotSplits(status)
                    && allSplitsFinished()) {
                checkpointIdToFinish = checkpointId;
            }
            return state;
        }
    }

    void notifyCheckpointComplete(long checkpointId) {
        synchronized (lock) {
            if (checkpointIdToFinish != null
                    && checkpointId >= checkpointIdToFinish
                    && isAssigningSnapshotSplits(status)
                    && allSplitsFinished()) {
                status = status.onFinish();
                checkpointIdToFinish = null;
            }
            splitFinishedCheckpointIds
                    .entrySet()
                    .removeIf(
                            entry -> {
                                long splitCheckpoint = entry.getValue();
                                if (splitCheckpoint == UNDEFINED_CHECKPOINT_ID
                                        || checkpointId < splitCheckpoint) {
                                    return false;
                                }
                                SchemalessSnapshotSplit split = assignedSplits.get(entry.getKey());
                                if (split != null) {
                                    // the table from the split itself: a split id does not parse
                                    // back for every table name
                                    metrics.getTableMetrics(split.getTableId())
                                            .addFinishedSplit(entry.getKey());
                                }
                                return true;
                            });
        }
    }

    boolean noMoreSplits() {
        synchronized (lock) {
            return remainingTables.isEmpty() && remainingSplits.isEmpty();
        }
    }

    boolean waitingForFinishedSplits() {
        synchronized (lock) {
            return !allSplitsFinished();
        }
    }

    private boolean allSplitsFinished() {
        return remainingTables.isEmpty()
                && remainingSplits.isEmpty()
                && assignedSplits.size() == splitFinishedOffsets.size();
    }

    /**
     * The finished splits' chunks and high watermarks, in the order they were assigned (a restored
     * job's first, sorted by id): readers ask for them in groups by position.
     */
    /** The schema each captured table had when its splits were planned: what the snapshot read. */
    Map<TableId, TableChange> tableSchemas() {
        synchronized (lock) {
            return new HashMap<>(tableSchemas);
        }
    }

    List<FinishedSnapshotSplitInfo> finishedSplitInfos() {
        synchronized (lock) {
            if (!allSplitsFinished()) {
                throw new IllegalStateException("Not every snapshot split has finished yet");
            }
            List<FinishedSnapshotSplitInfo> infos = new ArrayList<>(assignedSplits.size());
            assignedSplits
                    .values()
                    .forEach(
                            split ->
                                    infos.add(
                                            new FinishedSnapshotSplitInfo(
                                                    split.getTableId(),
                                                    split.splitId(),
                                                    split.getSplitStart(),
                                                    split.getSplitEnd(),
                                                    splitFinishedOffsets.get(split.splitId()),
                                                    offsetFactory)));
            return infos;
        }
    }

    AssignerStatus status() {
        synchronized (lock) {
            return status;
        }
    }

    void startAssignNewlyAddedTables() {
        synchronized (lock) {
            status = status.startAssignNewlyTables();
        }
    }

    void onStreamSplitUpdated() {
        synchronized (lock) {
            status = status.onStreamSplitUpdated();
        }
    }

    /**
     * Ends the planning (the caller has cancelled its running query, see {@link
     * EnumeratorConnections#cancelRunningStatement()}), waits for the planning thread to leave, and
     * closes the chunk splitter; idempotent.
     */
    void close() throws Exception {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        if (planner != null) {
            planner.shutdownNow();
            if (!planner.awaitTermination(PLANNER_STOP_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                LOG.warn(
                        "The snapshot planning thread did not end within {} s",
                        PLANNER_STOP_TIMEOUT_SECONDS);
            }
        }
        if (splitter != null) {
            splitter.close();
        }
    }
}
