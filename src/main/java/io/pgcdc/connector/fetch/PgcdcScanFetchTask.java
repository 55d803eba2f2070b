package io.pgcdc.connector.fetch;

import org.apache.flink.cdc.connectors.base.source.meta.split.SnapshotSplit;
import org.apache.flink.cdc.connectors.base.source.meta.split.StreamSplit;
import org.apache.flink.cdc.connectors.base.source.reader.external.AbstractScanFetchTask;
import org.apache.flink.cdc.connectors.base.source.reader.external.FetchTask;
import org.apache.flink.cdc.connectors.postgres.source.fetch.PostgresScanFetchTask.PostgresSnapshotSplitReadTask;
import org.apache.flink.cdc.connectors.postgres.source.fetch.PostgresStreamFetchTask.StreamSplitReadTask;
import org.apache.flink.cdc.connectors.postgres.source.fetch.StoppableChangeEventSourceContext;
import org.apache.flink.cdc.connectors.postgres.source.offset.PostgresOffset;
import org.apache.flink.cdc.connectors.postgres.source.offset.PostgresOffsetUtils;

import io.debezium.connector.postgresql.PostgresOffsetContext;
import io.debezium.connector.postgresql.connection.Lsn;
import io.debezium.pipeline.source.spi.ChangeEventSource;
import io.debezium.pipeline.spi.SnapshotResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads one snapshot split over the reader's connection and ends its transaction afterwards, on
 * every path (upstream left the session idle in transaction, FLINK-39403).
 *
 * <p>Backfill uses the reader's backfill slot, created once before the first low watermark. When
 * the slot shows no change to the split's table up to the high watermark — the usual case — the
 * end watermark is emitted at once and no replication connection is opened; otherwise the changes
 * are replayed by Debezium as upstream does, over a replication connection closed with the split.
 */
public class PgcdcScanFetchTask extends AbstractScanFetchTask {

    private static final Logger LOG = LoggerFactory.getLogger(PgcdcScanFetchTask.class);

    public PgcdcScanFetchTask(SnapshotSplit split) {
        super(split);
    }

    @Override
    public void execute(FetchTask.Context context) throws Exception {
        PgcdcFetchTaskContext ctx = (PgcdcFetchTaskContext) context;
        try {
            if (!ctx.getSourceConfig().isSkipSnapshotBackfill()) {
                // before the low watermark: a slot only sees WAL written after it exists
                ctx.backfillSlot();
            }
            super.execute(context);
        } finally {
            ctx.completeSplit();
        }
    }

    @Override
    protected void executeDataSnapshot(FetchTask.Context context) throws Exception {
        PgcdcFetchTaskContext ctx = (PgcdcFetchTaskContext) context;
        PostgresSnapshotSplitReadTask readTask =
                new PostgresSnapshotSplitReadTask(
                        ctx.getConnection(),
                        ctx.getDbzConnectorConfig(),
                        ctx.getDatabaseSchema(),
                        ctx.getOffsetContext(),
                        ctx.getEventDispatcher(),
                        ctx.getSnapshotChangeEventSourceMetrics(),
                        snapshotSplit);
        SnapshotResult<PostgresOffsetContext> result =
                readTask.execute(new StoppableChangeEventSourceContext(), ctx.getPartition(), ctx.getOffsetContext());
        if (!result.isCompletedOrSkipped()) {
            taskRunning = false;
            throw new IllegalStateException("Reading snapshot split " + snapshotSplit.splitId() + " failed: " + result);
        }
    }

    @Override
    protected void executeBackfillTask(FetchTask.Context context, StreamSplit backfillSplit) throws Exception {
        PgcdcFetchTaskContext ctx = (PgcdcFetchTaskContext) context;
        BackfillSlot slot = ctx.backfillSlot();
        Lsn highWatermark = ((PostgresOffset) backfillSplit.getEndingOffset()).getLsn();
        if (slot.hasChanges(snapshotSplit.getTableId(), highWatermark)) {
            LOG.info("Split {}: its table changed during the snapshot; replaying from {}", snapshotSplit.splitId(), slot.name());
            replayChanges(ctx, backfillSplit);
        } else {
            dispatchEndWaterMarkEvent(ctx, backfillSplit, backfillSplit.getEndingOffset());
        }
        slot.advanceTo(highWatermark);
    }

    private void replayChanges(PgcdcFetchTaskContext ctx, StreamSplit backfillSplit) throws InterruptedException {
        PostgresOffsetContext startOffset =
                PostgresOffsetUtils.getPostgresOffsetContext(
                        new PostgresOffsetContext.Loader(ctx.getDbzConnectorConfig()), backfillSplit.getStartingOffset());
        StreamSplitReadTask replay =
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
        ChangeEventSource.ChangeEventSourceContext running = new StoppableChangeEventSourceContext();
        replay.execute(running, ctx.getPartition(), startOffset);
    }
}
