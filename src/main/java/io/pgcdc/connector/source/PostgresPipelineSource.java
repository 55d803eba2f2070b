package io.pgcdc.connector.source;

import org.apache.flink.annotation.Internal;
import org.apache.flink.annotation.VisibleForTesting;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.cdc.common.event.Event;
import org.apache.flink.cdc.connectors.base.source.assigner.state.PendingSplitsState;
import org.apache.flink.cdc.connectors.base.source.assigner.state.PendingSplitsStateSerializer;
import org.apache.flink.cdc.connectors.base.source.meta.split.SourceSplitBase;
import org.apache.flink.cdc.connectors.base.source.metrics.SourceReaderMetrics;
import org.apache.flink.cdc.connectors.base.source.reader.IncrementalSourceReaderContext;
import org.apache.flink.cdc.connectors.base.source.utils.hooks.SnapshotPhaseHooks;
import org.apache.flink.cdc.connectors.postgres.source.config.PostgresSourceConfig;
import org.apache.flink.cdc.connectors.postgres.source.config.PostgresSourceConfigFactory;
import org.apache.flink.cdc.connectors.postgres.source.offset.PostgresOffsetFactory;
import org.apache.flink.connector.base.source.reader.synchronization.FutureCompletingBlockingQueue;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

import io.pgcdc.connector.fetch.PgcdcPostgresDialect;
import io.pgcdc.connector.fetch.Publication;
import io.pgcdc.connector.fetch.ReaderConnections;
import io.pgcdc.connector.resource.ConnectionLedger;
import io.pgcdc.connector.source.enumerator.PgcdcSourceEnumerator;
import io.pgcdc.connector.source.split.PostgresSplitSerializer;

/**
 * The Flink source of the {@code postgres} pipeline source: our enumerator ({@link
 * PgcdcSourceEnumerator}, which owns its connections) and our reader ({@link PgcdcSourceReader},
 * which owns its {@link ReaderConnections}) around postgres-cdc's incremental snapshot, with our
 * record emitter (a {@code CreateTableEvent} before a table's first row). Its enumerator
 * checkpoints have postgres-cdc's format, its splits that of {@link PostgresSplitSerializer}.
 */
@Internal
public class PostgresPipelineSource
        implements Source<Event, SourceSplitBase, PendingSplitsState>, ResultTypeQueryable<Event> {

    private static final long serialVersionUID = 2L;

    /** Reader metrics: connections currently open, and opened since the reader started. */
    public static final String OPEN_CONNECTIONS_METRIC = "pgcdcOpenConnections";

    public static final String OPENED_CONNECTIONS_METRIC = "pgcdcConnectionsOpened";

    private final PostgresSourceConfigFactory configFactory;
    private final PostgresEventDeserializer deserializer;
    private final Publication publication;
    private final PostgresOffsetFactory offsetFactory = new PostgresOffsetFactory();
    private SnapshotPhaseHooks snapshotHooks = SnapshotPhaseHooks.empty();

    public PostgresPipelineSource(
            PostgresSourceConfigFactory configFactory,
            PostgresEventDeserializer deserializer,
            Publication publication) {
        this.configFactory = configFactory;
        this.deserializer = deserializer;
        this.publication = publication;
    }

    @Override
    public Boundedness getBoundedness() {
        return configFactory.create(0).getStartupOptions().isSnapshotOnly()
                ? Boundedness.BOUNDED
                : Boundedness.CONTINUOUS_UNBOUNDED;
    }

    @Override
    public SplitEnumerator<SourceSplitBase, PendingSplitsState> createEnumerator(
            SplitEnumeratorContext<SourceSplitBase> context) {
        return PgcdcSourceEnumerator.create(
                context, configFactory.create(0), publication, getBoundedness());
    }

    @Override
    public SplitEnumerator<SourceSplitBase, PendingSplitsState> restoreEnumerator(
            SplitEnumeratorContext<SourceSplitBase> context, PendingSplitsState checkpoint) {
        return PgcdcSourceEnumerator.restore(
                context, configFactory.create(0), publication, getBoundedness(), checkpoint);
    }

    @Override
    @SuppressWarnings({"rawtypes", "unchecked"})
    public PgcdcSourceReader createReader(SourceReaderContext readerContext) {
        int subtask = readerContext.getIndexOfSubtask();
        PostgresSourceConfig config = configFactory.create(subtask);
        ReaderConnections connections = new ReaderConnections(config);
        registerMetrics(readerContext.metricGroup(), connections.ledger());
        PgcdcPostgresDialect dialect = PgcdcPostgresDialect.forReader(config, connections);
        IncrementalSourceReaderContext context = new IncrementalSourceReaderContext(readerContext);
        InterruptibleSplitReader.Registry splitReaders = new InterruptibleSplitReader.Registry();
        return new PgcdcSourceReader(
                new FutureCompletingBlockingQueue<>(),
                () -> splitReaders.create(subtask, dialect, config, context, snapshotHooks),
                new PostgresPipelineRecordEmitter(
                        deserializer,
                        new SourceReaderMetrics(readerContext.metricGroup()),
                        offsetFactory),
                readerContext.getConfiguration(),
                context,
                config,
                splitSerializer(),
                dialect,
                connections,
                splitReaders);
    }

    /**
     * Actions run at points of each snapshot split's read (tests change rows between watermarks).
     */
    @VisibleForTesting
    public void setSnapshotHooks(SnapshotPhaseHooks snapshotHooks) {
        this.snapshotHooks = snapshotHooks;
    }

    @Override
    public SimpleVersionedSerializer<SourceSplitBase> getSplitSerializer() {
        return splitSerializer();
    }

    @Override
    public SimpleVersionedSerializer<PendingSplitsState> getEnumeratorCheckpointSerializer() {
        return new PendingSplitsStateSerializer(
                PostgresSplitSerializer.forEnumeratorState(offsetFactory));
    }

    @Override
    public TypeInformation<Event> getProducedType() {
        return deserializer.getProducedType();
    }

    private PostgresSplitSerializer splitSerializer() {
        return new PostgresSplitSerializer(offsetFactory);
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
