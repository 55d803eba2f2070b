package io.pgcdc.connector.source;

import org.apache.flink.cdc.connectors.base.source.meta.split.SourceSplitSerializer;
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

import java.util.function.Supplier;

/**
 * postgres-cdc's reader, plus ownership of what the reader holds on the database: closing it —
 * normally, on cancellation or on failover — closes its {@link ReaderConnections} after the
 * fetchers have stopped, even if stopping them failed.
 */
@SuppressWarnings({"rawtypes", "unchecked"})
public class PgcdcSourceReader extends PostgresSourceReader {

    private final ReaderConnections connections;

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
    }

    @Override
    public void close() throws Exception {
        Closeables.closeInOrder(super::close, connections);
    }
}
