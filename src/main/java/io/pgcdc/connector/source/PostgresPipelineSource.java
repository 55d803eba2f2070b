package io.pgcdc.connector.source;

import org.apache.flink.cdc.common.event.Event;
import org.apache.flink.cdc.connectors.base.config.SourceConfig;
import org.apache.flink.cdc.connectors.base.source.meta.split.SourceSplitState;
import org.apache.flink.cdc.connectors.base.source.metrics.SourceReaderMetrics;
import org.apache.flink.cdc.connectors.base.source.meta.split.SourceRecords;
import org.apache.flink.cdc.connectors.postgres.source.PostgresDialect;
import org.apache.flink.cdc.connectors.postgres.source.PostgresSourceBuilder.PostgresIncrementalSource;
import org.apache.flink.cdc.connectors.postgres.source.config.PostgresSourceConfigFactory;
import org.apache.flink.cdc.connectors.postgres.source.offset.PostgresOffsetFactory;
import org.apache.flink.connector.base.source.reader.RecordEmitter;

/**
 * postgres-cdc's incremental source with our dialect and our record emitter, which announces each
 * table with a {@code CreateTableEvent} before its first row.
 */
public class PostgresPipelineSource extends PostgresIncrementalSource<Event> {

    private static final long serialVersionUID = 1L;

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
}
