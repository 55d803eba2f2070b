package io.pgcdc.connector.source;

import org.apache.flink.cdc.connectors.base.source.meta.split.SourceSplitSerializer;
import org.apache.flink.cdc.connectors.base.source.meta.split.SourceSplitState;
import org.apache.flink.cdc.connectors.base.source.reader.IncrementalSourceReaderContext;
import org.apache.flink.cdc.connectors.base.source.reader.IncrementalSourceSplitReader;
import org.apache.flink.cdc.connectors.postgres.source.config.PostgresSourceConfig;
import org.apache.flink.cdc.connectors.postgres.source.reader.PostgresSourceReader;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.source.reader.RecordEmitter;
import org.apache.flink.connector.base.source.reader.synchronization.FutureCompletingBlockingQueue;

import io.pgcdc.connector.fetch.PgcdcPostgresDialect;
import io.pgcdc.connector.fetch.ReaderConnections;
import io.pgcdc.connector.resource.Closeables;

import java.util.Map;
import java.util.function.Supplier;

/**
 * postgres-cdc's reader, plus ownership of what the reader holds on the database: closing it —
 * normally, on cancellation or on failover — closes its {@link ReaderConnections} after the
 * fetchers have stopped, even if stopping them failed.
 */
@SuppressWarnings({"rawtypes", "unchecked"})
public class PgcdcSourceReader extends PostgresSourceReader {

    private final ReaderConnections connections;
    private final PostgresSourceConfig config;

    PgcdcSourceReader(
            FutureCompletingBlockingQueue elementQueue,
            Supplier<IncrementalSourceSplitReader> splitReaderSupplier,
            RecordEmitter recordEmitter,
            Configuration config,
            IncrementalSourceReaderContext readerContext,
            PostgresSourceConfig sourceConfig,
            SourceSplitSerializer splitSerializer,
            PgcdcPostgresDialect dialect,
            ReaderConnections connections) {
        super(elementQueue, splitReaderSupplier, recordEmitter, config, readerContext, sourceConfig, splitSerializer, dialect);
        this.connections = connections;
        this.config = sourceConfig;
    }

    /**
     * In the {@code snapshot} startup mode the stream split is bounded by the snapshot's high
     * watermark; once it has finished nothing will read the job's slot again, so it is dropped when
     * this reader closes. (postgres-cdc asks for that only if the split's offset reached its end,
     * which it does not when no change arrived in the meantime, and then drops it while the stream
     * may still hold it: the slot stayed behind.)
     */
    @Override
    protected void onSplitFinished(Map finishedSplitIds) {
        super.onSplitFinished(finishedSplitIds);
        if (!config.getStartupOptions().isSnapshotOnly()) {
            return;
        }
        for (Object state : finishedSplitIds.values()) {
            if (((SourceSplitState) state).isStreamSplitState()) {
                connections.dropSlotOnClose(config.getDbzProperties().getProperty("slot.name"));
            }
        }
    }

    @Override
    public void close() throws Exception {
        Closeables.closeInOrder(super::close, connections);
    }
}
