package io.pgcdc.connector.source;

import org.apache.flink.annotation.Internal;
import org.apache.flink.cdc.common.source.DataSource;
import org.apache.flink.cdc.common.source.EventSourceProvider;
import org.apache.flink.cdc.common.source.FlinkSourceProvider;
import org.apache.flink.cdc.common.source.MetadataAccessor;
import org.apache.flink.cdc.common.source.SupportedMetadataColumn;
import org.apache.flink.cdc.connectors.postgres.source.config.PostgresSourceConfigFactory;

import io.pgcdc.connector.config.ConnectionSettings;
import io.pgcdc.connector.config.MetadataColumns;
import io.pgcdc.connector.config.PostgresSourceSettings;
import io.pgcdc.connector.config.PublicationMode;
import io.pgcdc.connector.config.TableIncludeList;
import io.pgcdc.connector.fetch.Publication;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Supplier;

/** The {@code postgres} pipeline source: postgres-cdc's incremental source behind our seams. */
@Internal
public class PostgresDataSource implements DataSource {

    private final PostgresSourceSettings settings;
    private final List<String[]> capturedTables;
    private final PostgresSourceConfigFactory configFactory;
    private final Supplier<List<String[]>> resolveTables;

    /**
     * {@code capturedTables}: the tables resolved at creation, as {schema, table} pairs; {@code
     * resolveTables} resolves them again for the metadata accessor.
     */
    public PostgresDataSource(
            PostgresSourceSettings settings,
            List<String[]> capturedTables,
            Supplier<List<String[]>> resolveTables) {
        this.settings = settings;
        this.capturedTables = capturedTables;
        this.resolveTables = resolveTables;
        this.configFactory = createConfigFactory(settings, capturedTables);
    }

    public PostgresSourceSettings settings() {
        return settings;
    }

    /** The captured tables as {schema, table} pairs. */
    public List<String[]> capturedTables() {
        return capturedTables;
    }

    public PostgresSourceConfigFactory configFactory() {
        return configFactory;
    }

    @Override
    public EventSourceProvider getEventSourceProvider() {
        return FlinkSourceProvider.of(createSource());
    }

    /** A new Flink source of this pipeline source. */
    public PostgresPipelineSource createSource() {
        return new PostgresPipelineSource(configFactory, createDeserializer(), publication());
    }

    /** The publication the job streams through. */
    public Publication publication() {
        return new Publication(
                settings.publicationName,
                settings.publicationAutocreateMode,
                settings.includePartitionedTables);
    }

    public PostgresEventDeserializer createDeserializer() {
        return new PostgresEventDeserializer(
                settings.database(),
                settings.tableIdIncludeDatabase,
                settings.metadataColumns,
                settings.typeOptions,
                settings.schemaChangeEnabled);
    }

    @Override
    public MetadataAccessor getMetadataAccessor() {
        return new PostgresMetadataAccessor(
                settings, configFactory, createDeserializer(), resolveTables);
    }

    @Override
    public SupportedMetadataColumn[] supportedMetadataColumns() {
        return MetadataColumns.supported();
    }

    /**
     * Our default for Debezium's {@code poll.interval.ms}; {@code debezium.poll.interval.ms}
     * overrides it.
     */
    static final int POLL_INTERVAL_MS = 10;

    static PostgresSourceConfigFactory createConfigFactory(
            PostgresSourceSettings settings, List<String[]> capturedTables) {
        ConnectionSettings connection = settings.connection;
        PostgresSourceConfigFactory factory = new PostgresSourceConfigFactory();
        factory.hostname(connection.hostname());
        factory.port(connection.port());
        factory.username(connection.username());
        factory.password(connection.password());
        factory.database(connection.database());
        factory.connectTimeout(connection.connectTimeout());
        List<String> tableRegexes = new ArrayList<>();
        for (String[] table : capturedTables) {
            tableRegexes.add(TableIncludeList.exact(table[0], table[1]));
        }
        factory.tableList(tableRegexes.toArray(new String[0]));
        factory.slotName(settings.jobSlotName());
        factory.setIncludePartitionedTables(settings.includePartitionedTables);
        factory.scanNewlyAddedTableEnabled(settings.scanNewlyAddedTables);
        factory.decodingPluginName(settings.decodingPluginName);
        factory.startupOptions(settings.startupOptions());
        factory.splitSize(settings.chunkSize);
        factory.fetchSize(settings.fetchSize);
        factory.splitMetaGroupSize(settings.chunkMetaGroupSize);
        factory.distributionFactorUpper(settings.distributionFactorUpper);
        factory.distributionFactorLower(settings.distributionFactorLower);
        if (settings.chunkKeyColumn != null) {
            factory.chunkKeyColumn(settings.chunkKeyColumn);
        }
        factory.skipSnapshotBackfill(settings.skipSnapshotBackfill);
        factory.assignUnboundedChunkFirst(settings.unboundedChunkFirst);
        factory.closeIdleReaders(settings.closeIdleReaders);
        factory.setLsnCommitCheckpointsDelay(settings.lsnCommitCheckpointsDelay);
        factory.heartbeatInterval(settings.heartbeatInterval);
        factory.connectMaxRetries(settings.connectMaxRetries);
        factory.connectionPoolSize(settings.connectionPoolSize);
        factory.includeSchemaChanges(false);
        factory.debeziumProperties(debeziumProperties(settings));
        return factory;
    }

    /**
     * The Debezium properties: the user's {@code debezium.*}, the snapshot fetch size ({@code
     * scan.snapshot.fetch.size} reaches Debezium's cursor only this way), a short queue poll
     * interval and the {@code jdbc.properties.*}, which Debezium hands to pgjdbc for every
     * connection it opens ({@code database.<name>}).
     */
    static Properties debeziumProperties(PostgresSourceSettings settings) {
        Properties props = settings.debeziumProperties();
        props.putIfAbsent("snapshot.fetch.size", String.valueOf(settings.fetchSize));
        // Debezium's queue sleeps a whole poll interval (500 ms by default) before a split's end
        // is noticed, most of a small split's time. 10 ms costs nothing.
        props.putIfAbsent("poll.interval.ms", String.valueOf(POLL_INTERVAL_MS));
        // Debezium's pgoutput decoder drops extension types it has no case for (ltree: NULL in
        // the stream, the value in the snapshot) unless unknown types are passed on; a column
        // type we cannot map still fails the job naming it.
        props.putIfAbsent("include.unknown.datatypes", "true");
        // Debezium names each table's Connect schema after the table and, by default, replaces
        // what Avro does not allow, failing the split when two tables meet (a\b and a+b both
        // become a_b). Nothing here is Avro; the names stay as they are.
        props.putIfAbsent("schema.name.adjustment.mode", "none");
        // A stream resuming from an offset searches the WAL on one walsender session and starts
        // again on a new one, often before the first has released the slot; Debezium then waited
        // 10 s. A second between attempts, for the same minute, unless the user set either.
        if (!props.containsKey("slot.retry.delay.ms") && !props.containsKey("slot.max.retries")) {
            props.setProperty("slot.retry.delay.ms", "1000");
            props.setProperty("slot.max.retries", "60");
        }
        // The enumerator prepares the publication (see Publication). Debezium's filtered mode
        // would reset it to the table filter of each replication connection (a backfill's: one
        // table), so Debezium only ever finds it ready.
        props.setProperty("publication.name", settings.publicationName);
        props.setProperty(
                "publication.autocreate.mode",
                (settings.publicationAutocreateMode == PublicationMode.FILTERED
                                ? PublicationMode.DISABLED
                                : settings.publicationAutocreateMode)
                        .option());
        for (Map.Entry<String, String> entry : settings.connection.jdbcProperties().entrySet()) {
            props.setProperty("database." + entry.getKey(), entry.getValue());
        }
        // connect.timeout and the early application_name for Debezium's connections too,
        // replication connections included
        for (Map.Entry<String, String> entry : settings.connection.timeoutProperties().entrySet()) {
            props.putIfAbsent("database." + entry.getKey(), entry.getValue());
        }
        return props;
    }
}
