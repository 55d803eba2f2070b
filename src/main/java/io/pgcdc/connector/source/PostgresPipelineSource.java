package io.pgcdc.connector.source;

import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.cdc.common.event.Event;
import org.apache.flink.cdc.connectors.base.config.SourceConfig;
import org.apache.flink.cdc.connectors.base.source.assigner.HybridSplitAssigner;
import org.apache.flink.cdc.connectors.base.source.assigner.SplitAssigner;
import org.apache.flink.cdc.connectors.base.source.assigner.StreamSplitAssigner;
import org.apache.flink.cdc.connectors.base.source.assigner.state.HybridPendingSplitsState;
import org.apache.flink.cdc.connectors.base.source.assigner.state.PendingSplitsState;
import org.apache.flink.cdc.connectors.base.source.assigner.state.StreamPendingSplitsState;
import org.apache.flink.cdc.connectors.base.source.meta.split.SourceSplitBase;
import org.apache.flink.cdc.connectors.base.source.meta.split.SourceSplitState;
import org.apache.flink.cdc.connectors.base.source.meta.split.SourceRecords;
import org.apache.flink.cdc.connectors.base.source.metrics.SourceReaderMetrics;
import org.apache.flink.cdc.connectors.base.source.reader.IncrementalSourceReaderContext;
import org.apache.flink.cdc.connectors.base.source.reader.IncrementalSourceSplitReader;
import org.apache.flink.cdc.connectors.postgres.source.PostgresDialect;
import org.apache.flink.cdc.connectors.postgres.source.PostgresSourceBuilder.PostgresIncrementalSource;
import org.apache.flink.cdc.connectors.postgres.source.config.PostgresSourceConfig;
import org.apache.flink.cdc.connectors.postgres.source.config.PostgresSourceConfigFactory;
import org.apache.flink.cdc.connectors.postgres.source.enumerator.PostgresSourceEnumerator;
import org.apache.flink.cdc.connectors.postgres.source.offset.PostgresOffsetFactory;
import org.apache.flink.cdc.connectors.postgres.source.reader.PostgresSourceReader;
import org.apache.flink.connector.base.source.reader.RecordEmitter;
import org.apache.flink.connector.base.source.reader.synchronization.FutureCompletingBlockingQueue;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.util.FlinkRuntimeException;

import io.debezium.relational.TableId;

import io.pgcdc.connector.fetch.PgcdcPostgresDialect;
import io.pgcdc.connector.fetch.ReaderConnections;
import io.pgcdc.connector.resource.ConnectionLedger;

import java.util.List;

/**
 * postgres-cdc's incremental source with our dialect, our enumerator ({@link PgcdcSourceEnumerator}),
 * our reader and our record emitter (which announces each table with a {@code CreateTableEvent}
 * before its first row). Each reader gets its
 * own dialect bound to the {@link ReaderConnections} it owns; the source's own dialect serves the
 * enumerator only.
 */
public class PostgresPipelineSource extends PostgresIncrementalSource<Event> {

    private static final long serialVersionUID = 1L;

    /** Reader metrics: connections currently open, and opened since the reader started. */
    public static final String OPEN_CONNECTIONS_METRIC = "pgcdcOpenConnections";
    public static final String OPENED_CONNECTIONS_METRIC = "pgcdcConnectionsOpened";

    private final PostgresEventDeserializer deserializer;

    public PostgresPipelineSource(
            PostgresSourceConfigFactory configFactory,
            PostgresEventDeserializer deserializer,
            PostgresDialect dialect) {
        super(configFactory, deserializer, new PostgresOffsetFactory(), dialect);
        this.deserializer = deserializer;
    }

    @Override
    protected RecordEmitter<SourceRecords, Event, SourceSplitState> createRecordEmitter(
            SourceConfig sourceConfig, SourceReaderMetrics sourceReaderMetrics) {
        return new PostgresPipelineRecordEmitter(deserializer, sourceReaderMetrics, offsetFactory);
    }

    @Override
    public SimpleVersionedSerializer<PendingSplitsState> getEnumeratorCheckpointSerializer() {
        return new RetryingEnumeratorStateSerializer(super.getEnumeratorCheckpointSerializer());
    }

    @Override
    public PostgresSourceEnumerator createEnumerator(SplitEnumeratorContext<SourceSplitBase> context) {
        try {
            prepareDatabase();
            PostgresSourceConfig config = (PostgresSourceConfig) configFactory.create(0);
            return enumerator(context, config, freshAssigner(context, config));
        } catch (RuntimeException e) {
            closeDialectAfterFailure(e); // no enumerator will own (and close) the dialect's connection
            throw e;
        }
    }

    @Override
    public PostgresSourceEnumerator restoreEnumerator(
            SplitEnumeratorContext<SourceSplitBase> context, PendingSplitsState checkpoint) {
        try {
            prepareDatabase();
            PostgresSourceConfig config = (PostgresSourceConfig) configFactory.create(0);
            return enumerator(context, config, restoredAssigner(context, config, checkpoint));
        } catch (RuntimeException e) {
            closeDialectAfterFailure(e);
            throw e;
        }
    }

    /** The snapshot-then-stream assigner, or the stream-only one for the stream-only startup modes. */
    private SplitAssigner freshAssigner(SplitEnumeratorContext<SourceSplitBase> context, PostgresSourceConfig config) {
        if (config.getStartupOptions().isStreamOnly()) {
            return new StreamSplitAssigner(config, dataSourceDialect, offsetFactory, context);
        }
        List<TableId> tables;
        try {
            tables = dataSourceDialect.discoverDataCollections(config);
        } catch (RuntimeException e) {
            throw new FlinkRuntimeException("Failed to discover the captured tables: " + e.getMessage(), e);
        }
        return new HybridSplitAssigner<>(config, context.currentParallelism(), tables,
                dataSourceDialect.isDataCollectionIdCaseSensitive(config), dataSourceDialect, offsetFactory, context);
    }

    private SplitAssigner restoredAssigner(
            SplitEnumeratorContext<SourceSplitBase> context, PostgresSourceConfig config, PendingSplitsState checkpoint) {
        if (checkpoint instanceof HybridPendingSplitsState) {
            return new HybridSplitAssigner<>(config, context.currentParallelism(),
                    (HybridPendingSplitsState) checkpoint, dataSourceDialect, offsetFactory, context);
        }
        if (checkpoint instanceof StreamPendingSplitsState) {
            return new StreamSplitAssigner(
                    config, (StreamPendingSplitsState) checkpoint, dataSourceDialect, offsetFactory, context);
        }
        throw new UnsupportedOperationException("Unsupported restored enumerator state: " + checkpoint);
    }

    private PostgresSourceEnumerator enumerator(
            SplitEnumeratorContext<SourceSplitBase> context, PostgresSourceConfig config, SplitAssigner assigner) {
        return new PgcdcSourceEnumerator(context, config, assigner, (PostgresDialect) dataSourceDialect, getBoundedness());
    }

    private void closeDialectAfterFailure(RuntimeException failure) {
        try {
            dataSourceDialect.close();
        } catch (Exception e) {
            failure.addSuppressed(e);
        }
    }

    /** Before the enumerator creates the slot: stale backfill slots go, the publication is ready. */
    private void prepareDatabase() {
        if (dataSourceDialect instanceof PgcdcPostgresDialect) {
            ((PgcdcPostgresDialect) dataSourceDialect).dropStaleBackfillSlots();
            ((PgcdcPostgresDialect) dataSourceDialect).preparePublication();
        }
    }

    @Override
    @SuppressWarnings({"rawtypes", "unchecked"})
    public PostgresSourceReader createReader(SourceReaderContext readerContext) throws Exception {
        if (!(dataSourceDialect instanceof PgcdcPostgresDialect)) {
            return super.createReader(readerContext); // the stock dialect, kept for comparisons
        }
        int subtask = readerContext.getIndexOfSubtask();
        PostgresSourceConfig config = (PostgresSourceConfig) configFactory.create(subtask);
        ReaderConnections connections = new ReaderConnections(config);
        registerMetrics(readerContext.metricGroup(), connections.ledger());
        PgcdcPostgresDialect dialect = PgcdcPostgresDialect.forReader(config, connections);
        IncrementalSourceReaderContext context = new IncrementalSourceReaderContext(readerContext);
        return new PgcdcSourceReader(
                new FutureCompletingBlockingQueue<>(),
                () -> new IncrementalSourceSplitReader(subtask, dialect, config, context, snapshotHooks),
                createRecordEmitter(config, new SourceReaderMetrics(readerContext.metricGroup())),
                readerContext.getConfiguration(),
                context,
                config,
                sourceSplitSerializer,
                dialect,
                connections);
    }

    private static void registerMetrics(MetricGroup group, ConnectionLedger ledger) {
        group.gauge(OPEN_CONNECTIONS_METRIC, ledger::open);
        group.counter(OPENED_CONNECTIONS_METRIC, new LedgerCounter(ledger));
    }

    /** A read-only view of the ledger's count of opened connections as a Flink counter. */
    private static final class LedgerCounter implements Counter {
        private final ConnectionLedger ledger;

        LedgerCounter(ConnectionLedger ledger) {
            this.ledger = ledger;
        }

        @Override
        public void inc() {}

        @Override
        public void inc(long n) {}

        @Override
        public void dec() {}

        @Override
        public void dec(long n) {}

        @Override
        public long getCount() {
            return ledger.opened();
        }
    }
}
