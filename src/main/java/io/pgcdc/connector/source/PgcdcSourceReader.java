package io.pgcdc.connector.source;

import org.apache.flink.annotation.Internal;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.SourceEvent;
import org.apache.flink.cdc.connectors.base.source.meta.split.SourceSplitBase;
import org.apache.flink.cdc.connectors.base.source.meta.split.SourceSplitSerializer;
import org.apache.flink.cdc.connectors.base.source.meta.split.SourceSplitState;
import org.apache.flink.cdc.connectors.base.source.reader.IncrementalSourceReaderContext;
import org.apache.flink.cdc.connectors.base.source.reader.IncrementalSourceSplitReader;
import org.apache.flink.cdc.connectors.postgres.source.config.PostgresSourceConfig;
import org.apache.flink.cdc.connectors.postgres.source.reader.PostgresSourceReader;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.source.reader.RecordEmitter;
import org.apache.flink.connector.base.source.reader.synchronization.FutureCompletingBlockingQueue;
import org.apache.flink.core.io.InputStatus;

import io.pgcdc.connector.fetch.PgcdcPostgresDialect;
import io.pgcdc.connector.fetch.ReaderConnections;
import io.pgcdc.connector.resource.Closeables;
import io.pgcdc.connector.source.enumerator.BackfillEndedEvent;

import javax.annotation.concurrent.NotThreadSafe;

import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * postgres-cdc's reader, plus ownership of what the reader holds on the database and of the work it
 * started. Closing it (normally, on cancellation or on failover) runs in three phases, each even if
 * the one before failed:
 *
 * <ol>
 *   <li>interrupt: the statement running on the reader's connection is cancelled and a fetch
 *       waiting for a split's end is interrupted, so nothing waits on the server or on a split that
 *       will not end;
 *   <li>stop: Flink stops the fetchers, which close their splits; each split's producer stops and
 *       leaves before the split's connections close;
 *   <li>release: the {@link ReaderConnections} close (backfill slot, the connection).
 * </ol>
 *
 * <p>Threading: Flink's task thread, like any source reader; the fetchers run on their own threads
 * and reach it through the split reader's queue, and {@link ReaderConnections} is what both share.
 */
@NotThreadSafe
@SuppressWarnings({"rawtypes", "unchecked"})
@Internal
public class PgcdcSourceReader extends PostgresSourceReader {

    private final ReaderConnections connections;
    private final InterruptibleSplitReader.Registry splitReaders;
    private final PostgresSourceConfig config;
    // the snapshot startup mode's slot drop; task thread
    private boolean boundedStreamFinished;
    private boolean checkpointed;
    private Long firstCheckpointAfterStream;

    PgcdcSourceReader(
            FutureCompletingBlockingQueue elementQueue,
            Supplier<IncrementalSourceSplitReader> splitReaderSupplier,
            RecordEmitter recordEmitter,
            Configuration config,
            IncrementalSourceReaderContext readerContext,
            PostgresSourceConfig sourceConfig,
            SourceSplitSerializer splitSerializer,
            PgcdcPostgresDialect dialect,
            ReaderConnections connections,
            InterruptibleSplitReader.Registry splitReaders) {
        super(
                elementQueue,
                splitReaderSupplier,
                recordEmitter,
                config,
                readerContext,
                sourceConfig,
                splitSerializer,
                dialect);
        this.connections = connections;
        this.splitReaders = splitReaders;
        this.config = sourceConfig;
    }

    /**
     * In the {@code snapshot} startup mode the stream split is bounded by the snapshot's high
     * watermark; once this reader finished it, the job's slot goes, but only when nothing can read
     * the split again: after a checkpoint taken since then completed (a failover restores from a
     * checkpoint: one taken before would read the split again, from the slot), or, where no
     * checkpoint is ever taken, when the reader closes at the end of its input. The drop itself
     * happens as the reader closes, after its stream has let go of the slot. (postgres-cdc dropped
     * it at the split's end, on any close after it, a failover included: the restored job recreated
     * the slot at the current position and skipped the changes in between.)
     */
    @Override
    protected void onSplitFinished(Map finishedSplitIds) {
        super.onSplitFinished(finishedSplitIds);
        if (!config.getStartupOptions().isSnapshotOnly()) {
            return;
        }
        for (Object state : finishedSplitIds.values()) {
            if (((SourceSplitState) state).isStreamSplitState()) {
                boundedStreamFinished = true;
            }
        }
    }

    @Override
    public List<SourceSplitBase> snapshotState(long checkpointId) {
        checkpointed = true;
        if (boundedStreamFinished && firstCheckpointAfterStream == null) {
            firstCheckpointAfterStream = checkpointId;
        }
        return super.snapshotState(checkpointId);
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) throws Exception {
        super.notifyCheckpointComplete(checkpointId);
        if (firstCheckpointAfterStream != null && checkpointId >= firstCheckpointAfterStream) {
            dropSlotOnClose();
        }
    }

    @Override
    public InputStatus pollNext(ReaderOutput output) throws Exception {
        InputStatus status = super.pollNext(output);
        if (status == InputStatus.END_OF_INPUT && boundedStreamFinished && !checkpointed) {
            dropSlotOnClose();
        }
        return status;
    }

    private void dropSlotOnClose() {
        connections.dropSlotOnClose(config.getDbzProperties().getProperty("slot.name"));
    }

    @Override
    public void handleSourceEvents(SourceEvent event) {
        if (event instanceof BackfillEndedEvent) {
            connections.releaseBackfillSlot();
            return;
        }
        super.handleSourceEvents(event);
    }

    @Override
    public void close() throws Exception {
        Closeables.closeInOrder(this::interrupt, super::close, connections);
    }

    private void interrupt() {
        splitReaders.interruptFetches(); // first: what the cancels below cause is the close's doing
        connections.beginClose();
    }
}
