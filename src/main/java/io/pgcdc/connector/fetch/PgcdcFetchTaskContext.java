package io.pgcdc.connector.fetch;

import org.apache.flink.annotation.Internal;
import org.apache.flink.cdc.connectors.base.WatermarkDispatcher;
import org.apache.flink.cdc.connectors.base.config.JdbcSourceConfig;
import org.apache.flink.cdc.connectors.base.source.EmbeddedFlinkDatabaseHistory;
import org.apache.flink.cdc.connectors.base.source.meta.offset.Offset;
import org.apache.flink.cdc.connectors.base.source.meta.split.SourceSplitBase;
import org.apache.flink.cdc.connectors.base.source.meta.split.StreamSplit;
import org.apache.flink.cdc.connectors.postgres.source.config.PostgresSourceConfig;
import org.apache.flink.cdc.connectors.postgres.source.fetch.CDCPostgresDispatcher;
import org.apache.flink.cdc.connectors.postgres.source.fetch.PostgresSourceFetchTaskContext;
import org.apache.flink.cdc.connectors.postgres.source.offset.PostgresOffsetFactory;
import org.apache.flink.cdc.connectors.postgres.source.offset.PostgresOffsetUtils;

import io.debezium.DebeziumException;
import io.debezium.config.Configuration;
import io.debezium.connector.base.ChangeEventQueue;
import io.debezium.connector.postgresql.PostgresConnectorConfig;
import io.debezium.connector.postgresql.PostgresEventDispatcher;
import io.debezium.connector.postgresql.PostgresObjectUtils;
import io.debezium.connector.postgresql.PostgresOffsetContext;
import io.debezium.connector.postgresql.PostgresPartition;
import io.debezium.connector.postgresql.PostgresSchema;
import io.debezium.connector.postgresql.PostgresTaskContext;
import io.debezium.connector.postgresql.PostgresTopicSelector;
import io.debezium.connector.postgresql.connection.PostgresConnection;
import io.debezium.connector.postgresql.connection.ReplicationConnection;
import io.debezium.connector.postgresql.spi.Snapshotter;
import io.debezium.heartbeat.Heartbeat;
import io.debezium.heartbeat.HeartbeatFactory;
import io.debezium.pipeline.DataChangeEvent;
import io.debezium.pipeline.ErrorHandler;
import io.debezium.pipeline.metrics.DefaultChangeEventSourceMetricsFactory;
import io.debezium.pipeline.metrics.SnapshotChangeEventSourceMetrics;
import io.debezium.relational.Table;
import io.debezium.relational.TableId;
import io.debezium.schema.TopicSelector;
import io.pgcdc.connector.config.SqlStates;
import io.pgcdc.connector.config.TableIncludeList;
import io.pgcdc.connector.resource.Closeables;
import io.pgcdc.connector.resource.ResourceScope;
import org.apache.kafka.connect.errors.RetriableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;

import static io.debezium.connector.postgresql.PostgresConnectorConfig.DROP_SLOT_ON_STOP;
import static io.debezium.connector.postgresql.PostgresConnectorConfig.SLOT_NAME;
import static io.debezium.connector.postgresql.PostgresConnectorConfig.SNAPSHOT_MODE;
import static io.debezium.heartbeat.DatabaseHeartbeatImpl.HEARTBEAT_ACTION_QUERY_PROPERTY_NAME;

/**
 * The fetch-task context of one scan or stream fetcher. Per split it builds Debezium's machinery as
 * one immutable {@link SplitContext} and gives the split a {@link SplitResources} owner (a scope
 * inside this context's task scope, a child of its reader's): every connection opened for the split
 * — a stream or backfill replication connection, a heartbeat connection — belongs to it, so
 * configuring the next split, completing this one or closing the context closes them, on every
 * path, the split's producer first. The JDBC connection is the reader's ({@link
 * ReaderConnections}): opened once, reused by every split.
 *
 * <p>Nothing is logged per split that could hold a password; a snapshot split opens no replication
 * connection.
 *
 * <p>Threading: {@link #configure} and the getters run on the split fetcher's thread, the getters
 * also on the split's producer thread (which may open a backfill replication connection); {@link
 * #close()}, {@link #producerStop()} and {@link #completeSplit()} may run on any thread.
 */
@Internal
public class PgcdcFetchTaskContext extends PostgresSourceFetchTaskContext {

    private static final Logger LOG = LoggerFactory.getLogger(PgcdcFetchTaskContext.class);

    /**
     * How long the scan fetcher's poll waits for a full batch. Debezium's queue returns a partial
     * batch only when this expires, so the end of every split waits for it (Debezium's default: 500
     * ms, the dominant cost of a small split). Rows keep flowing while it is short.
     */
    private static final Duration SNAPSHOT_POLL_INTERVAL = Duration.ofMillis(1);

    private final ReaderConnections reader;
    private final SnapshotTableSchemas snapshotSchemas;
    private final ResourceScope taskScope;
    private int splitCount; // the fetcher's thread only

    /** The current split's machinery; replaced as a whole by the next split's configure. */
    private volatile SplitContext split;

    /** What the current split owns; guarded by this (closed from any thread). */
    private SplitResources resources;

    /** The current split's replication connection, kept after it closed; guarded by this. */
    private ReplicationConnection lastReplication;

    PgcdcFetchTaskContext(
            JdbcSourceConfig sourceConfig,
            PgcdcPostgresDialect dialect,
            ReaderConnections reader,
            SnapshotTableSchemas snapshotSchemas) {
        super(sourceConfig, dialect);
        this.reader = reader;
        this.snapshotSchemas = snapshotSchemas;
        this.taskScope = reader.openContextScope("fetch-task");
    }

    /**
     * Closes the previous split (producer first, then its resources) and builds the next one's
     * machinery. Runs on the fetcher's thread.
     */
    @Override
    public void configure(SourceSplitBase split) {
        closePreviousSplit();
        SplitResources owned = new SplitResources(taskScope.child("split-" + (++splitCount)));
        synchronized (this) {
            resources = owned;
            lastReplication = null;
        }
        if (split.isSnapshotSplit()) {
            // the snapshot cursor runs with autocommit off: its transaction ends with the split,
            // before the next split reads (which may configure before this split's producer is
            // done)
            owned.register("transaction", reader::endTransaction);
        }
        PostgresSourceConfig postgresConfig = (PostgresSourceConfig) sourceConfig;
        boolean snapshotSplit = split.isSnapshotSplit();
        boolean globalStream =
                !snapshotSplit && StreamSplit.STREAM_SPLIT_ID.equalsIgnoreCase(split.splitId());
        PostgresConnectorConfig dbzConfig = connectorConfigFor(split, postgresConfig);
        setDbzConnectorConfig(dbzConfig);
        // Never log the connector properties: they hold the password.
        LOG.info("Configuring fetch task for split {}", split.splitId());

        Snapshotter snapshotter =
                PostgresConnectorConfig.SnapshotMode.parse(
                                dbzConfig.getConfig().getString(SNAPSHOT_MODE))
                        .getSnapshotter(dbzConfig.getConfig());
        PostgresConnection.PostgresValueConverterBuilder valueConverters =
                PostgresObjectUtils.newPostgresValueConverterBuilder(dbzConfig);
        PostgresConnection jdbc;
        try {
            jdbc = reader.jdbc(snapshotSplit ? "snapshot" : "stream");
        } catch (SQLException e) {
            throw new IllegalStateException(
                    "Cannot prepare the reader's connection: " + e.getMessage(), e);
        }

        TopicSelector<TableId> topicSelector = PostgresTopicSelector.create(dbzConfig);
        EmbeddedFlinkDatabaseHistory.registerHistory(
                sourceConfig
                        .getDbzConfiguration()
                        .getString(EmbeddedFlinkDatabaseHistory.DATABASE_HISTORY_INSTANCE_NAME),
                split.getTableSchemas().values());
        PostgresSchema schema;
        try {
            schema =
                    newSchema(
                            split,
                            snapshotSplit,
                            globalStream,
                            jdbc,
                            dbzConfig,
                            topicSelector,
                            valueConverters.build(jdbc.getTypeRegistry()));
        } catch (SQLException e) {
            throw new IllegalStateException(
                    "Cannot initialise the PostgreSQL schema: " + e.getMessage(), e);
        }
        Offset startingOffset =
                snapshotSplit
                        ? new PostgresOffsetFactory().createInitialOffset()
                        : StreamResumePosition.resumePoint(
                                split.asStreamSplit().getStartingOffset());
        PostgresOffsetContext offsetContext =
                PostgresOffsetUtils.getPostgresOffsetContext(
                        new PostgresOffsetContext.Loader(dbzConfig), startingOffset);
        PostgresPartition partition = new PostgresPartition(dbzConfig.getLogicalName());
        PostgresTaskContext taskContext =
                PostgresObjectUtils.newTaskContext(dbzConfig, schema, topicSelector);

        if (globalStream) {
            primeHeartbeat(jdbc, dbzConfig);
        }

        // A snapshot split opens one only if its backfill finds changes to replay (see the scan
        // task).
        if (!snapshotSplit) {
            openReplicationConnection(
                    owned, taskContext, snapshotter, "stream replication connection");
        }

        ChangeEventQueue<DataChangeEvent> queue =
                new ChangeEventQueue.Builder<DataChangeEvent>()
                        .pollInterval(
                                snapshotSplit
                                        ? SNAPSHOT_POLL_INTERVAL
                                        : dbzConfig.getPollInterval())
                        .maxBatchSize(dbzConfig.getMaxBatchSize())
                        .maxQueueSize(dbzConfig.getMaxQueueSize())
                        .maxQueueSizeInBytes(dbzConfig.getMaxQueueSizeInBytes())
                        .loggingContextSupplier(
                                () -> taskContext.configureLoggingContext("pgcdc-fetch-task"))
                        .build();
        if (schema instanceof RelationTrackingSchema) {
            Map<String, ?> sourcePartition = partition.getSourcePartition();
            ((RelationTrackingSchema) schema)
                    .onRelation((table, hints) -> announce(queue, table, hints, sourcePartition));
        }
        ProducerStop stop = new ProducerStop(split.splitId(), queue);
        owned.producedBy(stop);
        ErrorHandler errorHandler =
                new StopAwareErrorHandler(
                        dbzConfig, queue, () -> stop.requested() || reader.closing());
        io.debezium.pipeline.source.spi.EventMetadataProvider metadataProvider =
                PostgresObjectUtils.newEventMetadataProvider();
        CDCPostgresDispatcher dispatcher =
                new CDCPostgresDispatcher(
                        dbzConfig,
                        topicSelector,
                        schema,
                        queue,
                        dbzConfig.getTableFilters().dataCollectionFilter(),
                        DataChangeEvent::new,
                        metadataProvider,
                        new HeartbeatFactory<>(
                                dbzConfig,
                                topicSelector,
                                schemaNameAdjuster,
                                () ->
                                        owned.register(
                                                "heartbeat connection",
                                                reader.openConnection("heartbeat")),
                                PgcdcFetchTaskContext::onHeartbeatFailure),
                        schemaNameAdjuster);
        SnapshotChangeEventSourceMetrics<PostgresPartition> snapshotMetrics =
                new DefaultChangeEventSourceMetricsFactory<PostgresPartition>()
                        .getSnapshotMetrics(taskContext, queue, metadataProvider);
        this.split =
                new SplitContext(
                        snapshotter,
                        jdbc,
                        schema,
                        offsetContext,
                        partition,
                        taskContext,
                        queue,
                        errorHandler,
                        dispatcher,
                        snapshotMetrics);
    }

    /**
     * Debezium's schema for a split: a snapshot split's rows are read with the schema its split
     * carries (the scan task asks snapshotSchemas(); no catalog query per split); the global stream
     * starts from the definitions its split carries and reports Relation messages (schema
     * evolution); a backfill stream loads the catalog.
     */
    private PostgresSchema newSchema(
            SourceSplitBase split,
            boolean snapshotSplit,
            boolean globalStream,
            PostgresConnection jdbcConnection,
            PostgresConnectorConfig dbzConfig,
            TopicSelector<TableId> topicSelector,
            io.debezium.connector.postgresql.PostgresValueConverter valueConverter)
            throws SQLException {
        if (snapshotSplit) {
            return SnapshotTableSchemas.unloaded(
                    dbzConfig, jdbcConnection, topicSelector, valueConverter);
        }
        if (globalStream) {
            return RelationTrackingSchema.load(
                    jdbcConnection,
                    dbzConfig,
                    topicSelector,
                    valueConverter,
                    split.getTableSchemas().values());
        }
        return PostgresObjectUtils.newSchema(
                jdbcConnection,
                dbzConfig,
                jdbcConnection.getTypeRegistry(),
                topicSelector,
                valueConverter);
    }

    /** Queues a table's new description ahead of the rows that follow its Relation message. */
    private static void announce(
            ChangeEventQueue<DataChangeEvent> queue,
            Table table,
            RelationTrackingSchema.ColumnIdentity hints,
            Map<String, ?> partition) {
        try {
            queue.enqueue(new DataChangeEvent(RelationChangeRecord.of(table, hints, partition)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DebeziumException(
                    "Interrupted while queueing the relation of table " + table.id(), e);
        }
    }

    /**
     * Debezium heartbeats (and runs {@code heartbeat.action.query}) only once its stream has
     * processed a change; a stream whose tables stay quiet never started, and its slot kept all
     * WAL. Running the action query once as the stream starts gives it that first change.
     */
    private static void primeHeartbeat(
            PostgresConnection jdbcConnection, PostgresConnectorConfig dbzConfig) {
        String actionQuery = dbzConfig.getConfig().getString(HEARTBEAT_ACTION_QUERY_PROPERTY_NAME);
        if (actionQuery == null
                || actionQuery.trim().isEmpty()
                || dbzConfig.getHeartbeatInterval().isZero()) {
            return;
        }
        try {
            jdbcConnection.execute(actionQuery);
            LOG.info("Ran the heartbeat action query once as the stream starts");
        } catch (SQLException e) {
            LOG.warn("The heartbeat action query failed: {}", e.getMessage());
        }
    }

    /** Debezium's settings for one split: snapshot splits read one table with a backfill slot. */
    private PostgresConnectorConfig connectorConfigFor(
            SourceSplitBase split, PostgresSourceConfig postgresConfig) {
        // the raw configuration: building Debezium's config first would compile the whole
        // include list (one pattern per captured table) for every split
        Configuration.Builder builder = postgresConfig.getDbzConfiguration().edit();
        if (split.isSnapshotSplit()) {
            // the backfill slot belongs to the reader, which drops it when it closes
            TableId table = split.asSnapshotSplit().getTableId();
            builder.with(
                            "table.include.list",
                            TableIncludeList.exact(table.schema(), table.table()))
                    .with(SLOT_NAME.name(), reader.backfillSlotName())
                    .with(DROP_SLOT_ON_STOP.name(), false)
                    .with(Heartbeat.HEARTBEAT_INTERVAL, 0);
        } else {
            if (!StreamSplit.STREAM_SPLIT_ID.equalsIgnoreCase(split.splitId())) {
                // a backfill stream split reads the one table it backfills
                TableId table = split.asStreamSplit().getTableSchemas().keySet().iterator().next();
                builder.with(
                        "table.include.list",
                        TableIncludeList.exact(table.schema(), table.table()));
            }
            // the global stream slot is the user's: never dropped
            builder.with(DROP_SLOT_ON_STOP.name(), false);
        }
        return new PostgresConnectorConfig(builder.build());
    }

    /** A replication connection for the split; it connects when streaming starts. */
    private ReplicationConnection openReplicationConnection(
            SplitResources owner,
            PostgresTaskContext taskContext,
            Snapshotter snapshotter,
            String label) {
        owner.ensureOpen();
        PostgresConnection decoderConnection;
        try {
            decoderConnection = reader.sharedHandle();
        } catch (SQLException e) {
            throw new IllegalStateException(
                    "Cannot prepare the reader's connection: " + e.getMessage(), e);
        }
        ReplicationConnection connection =
                owner.register(
                        label,
                        PostgresObjectUtils.createReplicationConnection(
                                taskContext,
                                decoderConnection,
                                snapshotter.shouldSnapshot(),
                                getDbzConnectorConfig()));
        synchronized (this) {
            lastReplication = connection;
        }
        return connection;
    }

    /**
     * The replication connection a snapshot split's backfill streams from, closed with the split.
     * Runs on the split's producer thread.
     */
    ReplicationConnection openBackfillReplicationConnection() {
        SplitContext current = split;
        return openReplicationConnection(
                currentResources(),
                current.taskContext,
                current.snapshotter,
                "backfill replication connection");
    }

    private synchronized SplitResources currentResources() {
        if (resources == null) {
            throw new IllegalStateException(
                    "The split has completed; no connection can be opened for it");
        }
        return resources;
    }

    /**
     * The current split's producer stop (see {@link ProducerStop}); a stopped one if the split's
     * resources have closed already (a task started as its fetcher closed).
     */
    synchronized ProducerStop producerStop() {
        return resources != null ? resources.producerStop() : ProducerStop.stopped();
    }

    /** Whether the reader is closing: what fails a task now is the close, not a fault. */
    boolean readerClosing() {
        return reader.closing();
    }

    /** The reader's row schemas of snapshotted tables. */
    SnapshotTableSchemas snapshotSchemas() {
        return snapshotSchemas;
    }

    /** The reader's backfill slot (created on first use). */
    BackfillSlot backfillSlot() throws SQLException {
        return reader.backfillSlot();
    }

    /**
     * Called by a snapshot split's producer when its split ends, on every path, after it left
     * ({@link ProducerStop#detach()}): the split's transaction ends and its resources (a backfill
     * replication connection) close now, not when the next split comes. If the fetcher has moved on
     * to the next split already, the split was closed with that move and this does nothing.
     */
    void completeSplit(ProducerStop finished) throws Exception {
        SplitResources owned;
        synchronized (this) {
            if (resources == null || !resources.isProducedBy(finished)) {
                return;
            }
            owned = resources;
            resources = null;
        }
        owned.close();
    }

    private static void onHeartbeatFailure(SQLException exception) {
        String state = exception.getSQLState() == null ? "" : exception.getSQLState();
        if (SqlStates.ADMIN_SHUTDOWN.equals(state)) {
            throw new DebeziumException(
                    "Could not execute heartbeat action query (Error: " + state + ")", exception);
        }
        if (SqlStates.CANNOT_CONNECT_NOW.equals(state)) {
            throw new RetriableException(
                    "Could not execute heartbeat action query (Error: " + state + ")", exception);
        }
    }

    private void closePreviousSplit() {
        try {
            closeCurrentSplit();
        } catch (Exception e) {
            throw new IllegalStateException("Closing the previous split's resources failed", e);
        }
    }

    /**
     * Closes the current split: its producer stops, then its resources close (see {@link
     * SplitResources}).
     */
    private void closeCurrentSplit() throws Exception {
        SplitResources owned;
        synchronized (this) {
            owned = resources;
            resources = null;
        }
        if (owned != null) {
            owned.close();
        }
    }

    /**
     * Closes the current split (see above) and the task's resources (not the reader's); idempotent.
     * Never throws: flink-cdc-base skips stopping the split's executor after a close that throws. A
     * failure is logged; the reader's close reports what is still open.
     */
    @Override
    public void close() {
        try {
            Closeables.closeInOrder(this::closeCurrentSplit, taskScope);
        } catch (Exception e) {
            LOG.warn("Closing the fetch task's resources failed", e);
        }
    }

    @Override
    public PostgresConnection getConnection() {
        SplitContext current = split;
        return current == null ? null : current.jdbc;
    }

    @Override
    public synchronized ReplicationConnection getReplicationConnection() {
        return lastReplication;
    }

    @Override
    public PostgresTaskContext getTaskContext() {
        SplitContext current = split;
        return current == null ? null : current.taskContext;
    }

    @Override
    public PostgresSchema getDatabaseSchema() {
        SplitContext current = split;
        return current == null ? null : current.schema;
    }

    @Override
    public ErrorHandler getErrorHandler() {
        SplitContext current = split;
        return current == null ? null : current.errorHandler;
    }

    @Override
    public PostgresEventDispatcher<TableId> getEventDispatcher() {
        SplitContext current = split;
        return current == null ? null : current.dispatcher;
    }

    @Override
    public WatermarkDispatcher getWaterMarkDispatcher() {
        SplitContext current = split;
        return current == null ? null : current.dispatcher;
    }

    @Override
    public PostgresOffsetContext getOffsetContext() {
        SplitContext current = split;
        return current == null ? null : current.offsetContext;
    }

    @Override
    public PostgresPartition getPartition() {
        SplitContext current = split;
        return current == null ? null : current.partition;
    }

    @Override
    public ChangeEventQueue<DataChangeEvent> getQueue() {
        SplitContext current = split;
        return current == null ? null : current.queue;
    }

    @Override
    public SnapshotChangeEventSourceMetrics<PostgresPartition>
            getSnapshotChangeEventSourceMetrics() {
        SplitContext current = split;
        return current == null ? null : current.snapshotMetrics;
    }

    @Override
    public Snapshotter getSnapShotter() {
        SplitContext current = split;
        return current == null ? null : current.snapshotter;
    }
}
