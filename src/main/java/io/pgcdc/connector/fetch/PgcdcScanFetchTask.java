package io.pgcdc.connector.fetch;

import org.apache.flink.annotation.Internal;
import org.apache.flink.cdc.connectors.base.source.meta.split.SnapshotSplit;
import org.apache.flink.cdc.connectors.base.source.meta.split.StreamSplit;
import org.apache.flink.cdc.connectors.base.source.reader.external.AbstractScanFetchTask;
import org.apache.flink.cdc.connectors.base.source.reader.external.FetchTask;
import org.apache.flink.cdc.connectors.postgres.source.fetch.PostgresStreamFetchTask.StreamSplitReadTask;
import org.apache.flink.cdc.connectors.postgres.source.fetch.StoppableChangeEventSourceContext;
import org.apache.flink.cdc.connectors.postgres.source.offset.PostgresOffset;
import org.apache.flink.cdc.connectors.postgres.source.offset.PostgresOffsetUtils;
import org.apache.flink.util.FlinkRuntimeException;

import io.debezium.connector.postgresql.PostgresOffsetContext;
import io.debezium.connector.postgresql.connection.Lsn;
import io.debezium.connector.postgresql.connection.PostgresConnection;
import io.debezium.relational.Table;
import io.debezium.relational.TableSchema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;
import java.time.Instant;

/**
 * Reads one snapshot split over the reader's connection ({@link SnapshotSplitScan}) and ends its
 * transaction afterwards, on every path: the session is never left idle in transaction.
 *
 * <p>Backfill uses the reader's backfill slot, created once before the first low watermark. When
 * the slot shows no change to the split's table up to the high watermark — the usual case — the end
 * watermark is emitted at once and no replication connection is opened; otherwise the changes are
 * replayed by Debezium, over a replication connection closed with the split.
 */
@Internal
public class PgcdcScanFetchTask extends AbstractScanFetchTask {

    private static final Logger LOG = LoggerFactory.getLogger(PgcdcScanFetchTask.class);

    /** The running backfill replay's stop, if one runs. */
    private volatile StoppableChangeEventSourceContext replay;

    public PgcdcScanFetchTask(SnapshotSplit split) {
        super(split);
    }

    /**
     * Reads the split; its producer attaches to the split's {@link ProducerStop}, and a failure
     * caused by the split's stop or the reader's close (an interrupt, a cancelled statement) ends
     * the task quietly. The split's transaction and resources end on every path.
     */
    @Override
    public void execute(FetchTask.Context context) throws Exception {
        PgcdcFetchTaskContext ctx = (PgcdcFetchTaskContext) context;
        ProducerStop stop = ctx.producerStop();
        try {
            if (!stop.attach(this::stopReading)) {
                return; // stopped before it started
            }
            if (!ctx.getSourceConfig().isSkipSnapshotBackfill()) {
                // before the low watermark: a slot only sees WAL written after it exists
                ctx.backfillSlot();
            }
            super.execute(context);
        } catch (Exception e) {
            if (!stop.requested() && !ctx.readerClosing()) {
                throw e;
            }
            LOG.debug(
                    "Snapshot split {} ended with its stop: {}",
                    snapshotSplit.splitId(),
                    e.toString());
        } finally {
            stop.detach();
            ctx.completeSplit(stop);
        }
    }

    private void stopReading() {
        taskRunning = false;
        StoppableChangeEventSourceContext running = replay;
        if (running != null) {
            running.stopChangeEventSource();
        }
    }

    @Override
    protected void executeDataSnapshot(FetchTask.Context context) throws Exception {
        PgcdcFetchTaskContext ctx = (PgcdcFetchTaskContext) context;
        PostgresConnection jdbc = ctx.getConnection();
        Table table = SnapshotSplitScan.tableOf(snapshotSplit);
        TableSchema rowSchema = ctx.snapshotSchemas().schemaFor(table, jdbc);
        PostgresOffsetContext offset = ctx.getOffsetContext();
        offset.event(table.id(), Instant.now());
        SnapshotSplitScan.RecordContext records =
                new SnapshotSplitScan.RecordContext(
                        ctx.getPartition().getSourcePartition(),
                        offset.getOffset(),
                        offset.getSourceInfo(),
                        ctx.snapshotSchemas().topicFor(table.id()));
        try {
            SnapshotSplitScan.read(
                    jdbc,
                    snapshotSplit,
                    table,
                    rowSchema,
                    records,
                    ctx.getDbzConnectorConfig().getSnapshotFetchSize(),
                    ctx.getQueue());
        } catch (SQLException e) {
            taskRunning = false;
            throw new FlinkRuntimeException(
                    "Reading snapshot split "
                            + snapshotSplit.splitId()
                            + " of table "
                            + table.id()
                            + " failed: "
                            + e.getMessage(),
                    e);
        }
    }

    @Override
    protected void executeBackfillTask(FetchTask.Context context, StreamSplit backfillSplit)
            throws Exception {
        PgcdcFetchTaskContext ctx = (PgcdcFetchTaskContext) context;
        BackfillSlot slot = ctx.backfillSlot();
        Lsn highWatermark = ((PostgresOffset) backfillSplit.getEndingOffset()).getLsn();
        if (slot.hasChanges(snapshotSplit.getTableId(), highWatermark)) {
            LOG.info(
                    "Split {}: its table changed during the snapshot; replaying from {}",
                    snapshotSplit.splitId(),
                    slot.name());
            replayChanges(ctx, backfillSplit);
        } else {
            dispatchEndWaterMarkEvent(ctx, backfillSplit, backfillSplit.getEndingOffset());
        }
        slot.advanceTo(highWatermark);
    }

    private void replayChanges(PgcdcFetchTaskContext ctx, StreamSplit backfillSplit)
            throws InterruptedException {
        PostgresOffsetContext startOffset =
                PostgresOffsetUtils.getPostgresOffsetContext(
                        new PostgresOffsetContext.Loader(ctx.getDbzConnectorConfig()),
                        backfillSplit.getStartingOffset());
        StreamSplitReadTask replayTask =
                new StreamSplitReadTask(
                        ctx.getDbzConnectorConfig(),
                        ctx.getSnapShotter(),
                        ctx.getConnection(),
                        ctx.getEventDispatcher(),
                        ctx.getWaterMarkDispatcher(),
                        ctx.getErrorHandler(),
                        ctx.getTaskContext().getClock(),
                        ctx.getDatabaseSchema(),
                        ctx.getTaskContext(),
                        ctx.openBackfillReplicationConnection(),
                        backfillSplit);
        StoppableChangeEventSourceContext running = new StoppableChangeEventSourceContext();
        this.replay = running;
        try {
            replayTask.execute(running, ctx.getPartition(), startOffset);
        } finally {
            this.replay = null;
        }
    }
}
