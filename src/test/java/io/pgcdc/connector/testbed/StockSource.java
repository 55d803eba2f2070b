package io.pgcdc.connector.testbed;

import org.apache.flink.cdc.common.event.Event;
import org.apache.flink.cdc.connectors.base.config.SourceConfig;
import org.apache.flink.cdc.connectors.base.source.meta.split.SourceRecords;
import org.apache.flink.cdc.connectors.base.source.meta.split.SourceSplitState;
import org.apache.flink.cdc.connectors.base.source.metrics.SourceReaderMetrics;
import org.apache.flink.cdc.connectors.postgres.source.PostgresDialect;
import org.apache.flink.cdc.connectors.postgres.source.PostgresSourceBuilder.PostgresIncrementalSource;
import org.apache.flink.cdc.connectors.postgres.source.offset.PostgresOffsetFactory;
import org.apache.flink.connector.base.source.reader.RecordEmitter;

import io.pgcdc.connector.source.PostgresDataSource;
import io.pgcdc.connector.source.PostgresEventDeserializer;
import io.pgcdc.connector.source.PostgresPipelineRecordEmitter;

/**
 * Upstream's postgres-cdc incremental source, as stock as it comes (its dialect, enumerator,
 * reader, connections and pools), with our deserializer and record emitter so that its events look
 * like ours: the comparison the connection tests and the benchmark measure us against.
 */
public final class StockSource extends PostgresIncrementalSource<Event> {

    private static final long serialVersionUID = 1L;
    private final PostgresEventDeserializer deserializer;

    private StockSource(PostgresDataSource source, PostgresEventDeserializer deserializer) {
        super(
                source.configFactory(),
                deserializer,
                new PostgresOffsetFactory(),
                new PostgresDialect(source.configFactory().create(0)));
        this.deserializer = deserializer;
    }

    /** The stock source with the data source's settings. */
    public static StockSource of(PostgresDataSource source) {
        return new StockSource(source, source.createDeserializer());
    }

    @Override
    protected RecordEmitter<SourceRecords, Event, SourceSplitState> createRecordEmitter(
            SourceConfig sourceConfig, SourceReaderMetrics sourceReaderMetrics) {
        return new PostgresPipelineRecordEmitter(deserializer, sourceReaderMetrics, offsetFactory);
    }
}
