package io.pgcdc.connector.config;

import org.apache.flink.annotation.Internal;
import org.apache.flink.cdc.common.configuration.ConfigOption;
import org.apache.flink.cdc.connectors.base.options.StartupOptions;

import java.io.Serializable;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static io.pgcdc.connector.config.PostgresSourceOptions.CHUNK_META_GROUP_SIZE;
import static io.pgcdc.connector.config.PostgresSourceOptions.CONNECTION_POOL_SIZE;
import static io.pgcdc.connector.config.PostgresSourceOptions.CONNECT_MAX_RETRIES;
import static io.pgcdc.connector.config.PostgresSourceOptions.CONNECT_TIMEOUT;
import static io.pgcdc.connector.config.PostgresSourceOptions.DEBEZIUM_PREFIX;
import static io.pgcdc.connector.config.PostgresSourceOptions.DECODING_PLUGIN_NAME;
import static io.pgcdc.connector.config.PostgresSourceOptions.HEARTBEAT_INTERVAL;
import static io.pgcdc.connector.config.PostgresSourceOptions.HOSTNAME;
import static io.pgcdc.connector.config.PostgresSourceOptions.JDBC_PROPERTIES_PREFIX;
import static io.pgcdc.connector.config.PostgresSourceOptions.METADATA_LIST;
import static io.pgcdc.connector.config.PostgresSourceOptions.PASSWORD;
import static io.pgcdc.connector.config.PostgresSourceOptions.PG_PORT;
import static io.pgcdc.connector.config.PostgresSourceOptions.PUBLICATION_AUTOCREATE_MODE;
import static io.pgcdc.connector.config.PostgresSourceOptions.PUBLICATION_NAME;
import static io.pgcdc.connector.config.PostgresSourceOptions.SCAN_INCLUDE_PARTITIONED_TABLES_ENABLED;
import static io.pgcdc.connector.config.PostgresSourceOptions.SCAN_INCREMENTAL_CLOSE_IDLE_READER_ENABLED;
import static io.pgcdc.connector.config.PostgresSourceOptions.SCAN_INCREMENTAL_SNAPSHOT_BACKFILL_SKIP;
import static io.pgcdc.connector.config.PostgresSourceOptions.SCAN_INCREMENTAL_SNAPSHOT_CHUNK_KEY_COLUMN;
import static io.pgcdc.connector.config.PostgresSourceOptions.SCAN_INCREMENTAL_SNAPSHOT_CHUNK_SIZE;
import static io.pgcdc.connector.config.PostgresSourceOptions.SCAN_INCREMENTAL_SNAPSHOT_UNBOUNDED_CHUNK_FIRST;
import static io.pgcdc.connector.config.PostgresSourceOptions.SCAN_LSN_COMMIT_CHECKPOINTS_DELAY;
import static io.pgcdc.connector.config.PostgresSourceOptions.SCAN_NEWLY_ADDED_TABLE_ENABLED;
import static io.pgcdc.connector.config.PostgresSourceOptions.SCAN_SNAPSHOT_FETCH_SIZE;
import static io.pgcdc.connector.config.PostgresSourceOptions.SCAN_STARTUP_MODE;
import static io.pgcdc.connector.config.PostgresSourceOptions.SCHEMA_CHANGE_ENABLED;
import static io.pgcdc.connector.config.PostgresSourceOptions.SERVER_TIME_ZONE;
import static io.pgcdc.connector.config.PostgresSourceOptions.SLOT_NAME;
import static io.pgcdc.connector.config.PostgresSourceOptions.SPLIT_KEY_EVEN_DISTRIBUTION_FACTOR_LOWER_BOUND;
import static io.pgcdc.connector.config.PostgresSourceOptions.SPLIT_KEY_EVEN_DISTRIBUTION_FACTOR_UPPER_BOUND;
import static io.pgcdc.connector.config.PostgresSourceOptions.STARTUP_CHECKS_ENABLED;
import static io.pgcdc.connector.config.PostgresSourceOptions.TABLES;
import static io.pgcdc.connector.config.PostgresSourceOptions.TABLES_EXCLUDE;
import static io.pgcdc.connector.config.PostgresSourceOptions.TABLE_ID_INCLUDE_DATABASE;
import static io.pgcdc.connector.config.PostgresSourceOptions.TOAST_UNCHANGED_VALUE_MODE;
import static io.pgcdc.connector.config.PostgresSourceOptions.USERNAME;

/**
 * The validated options of one {@code postgres} source. Parsing never touches the database; every
 * problem is reported as an {@link OptionException} naming the option.
 */
@Internal
public final class PostgresSourceSettings implements Serializable {

    private static final long serialVersionUID = 1L;

    static final Set<String> DECODING_PLUGINS =
            new LinkedHashSet<>(
                    Arrays.asList(
                            "pgoutput",
                            "decoderbufs",
                            "wal2json",
                            "wal2json_streaming",
                            "wal2json_rds",
                            "wal2json_rds_streaming"));

    static final Map<String, StartupOptions> STARTUP_MODES = new HashMap<>();

    static {
        STARTUP_MODES.put("initial", StartupOptions.initial());
        STARTUP_MODES.put("latest-offset", StartupOptions.latest());
        STARTUP_MODES.put("committed-offset", StartupOptions.committed());
        STARTUP_MODES.put("snapshot", StartupOptions.snapshot());
    }

    /** PostgreSQL's NAMEDATALEN - 1. */
    static final int MAX_SLOT_NAME_LENGTH = 63;

    public final ConnectionSettings connection;
    public final List<TablePattern> tables;
    public final List<TablePattern> excludedTables;
    public final String slotName;
    public final String decodingPluginName;
    public final String serverTimeZone;
    public final String startupMode;
    public final int chunkSize;
    public final int fetchSize;
    public final String chunkKeyColumn;
    public final int chunkMetaGroupSize;
    public final double distributionFactorUpper;
    public final double distributionFactorLower;
    public final boolean skipSnapshotBackfill;
    public final boolean unboundedChunkFirst;
    public final boolean closeIdleReaders;
    public final int lsnCommitCheckpointsDelay;
    public final Duration heartbeatInterval;
    public final int connectMaxRetries;
    public final int connectionPoolSize;
    public final List<String> metadataColumns;
    public final boolean tableIdIncludeDatabase;
    public final boolean schemaChangeEnabled;
    public final boolean startupChecks;
    public final TypeMappingOptions typeOptions;
    public final String publicationName;
    public final PublicationMode publicationAutocreateMode;
    public final boolean includePartitionedTables;
    public final boolean scanNewlyAddedTables;
    private final Map<String, String> debeziumProperties;

    /** Options the user set that have no effect here, each with the reason (logged at creation). */
    public final List<String> ineffectiveOptions = new ArrayList<>();

    private PostgresSourceSettings(OptionReader options, Map<String, String> raw) {
        this.tables = TablePattern.parseList(TABLES.key(), options.required(TABLES));
        String database = tables.get(0).database();
        for (TablePattern pattern : tables) {
            if (!pattern.database().equals(database)) {
                throw new OptionException(
                        TABLES.key(),
                        "spans two databases ('"
                                + database
                                + "' and '"
                                + pattern.database()
                                + "'); one source reads one database, use one source per database");
            }
        }
        this.excludedTables =
                options.isSet(TABLES_EXCLUDE)
                        ? TablePattern.parseList(
                                TABLES_EXCLUDE.key(), options.string(TABLES_EXCLUDE))
                        : Collections.emptyList();
        for (TablePattern pattern : excludedTables) {
            if (!pattern.database().equals(database)) {
                throw new OptionException(
                        TABLES_EXCLUDE.key(),
                        "names database '"
                                + pattern.database()
                                + "' but 'tables' reads '"
                                + database
                                + "'");
            }
        }

        Map<String, String> jdbcProperties = new HashMap<>();
        Map<String, String> debezium = new HashMap<>();
        for (Map.Entry<String, String> entry : raw.entrySet()) {
            if (entry.getKey().startsWith(JDBC_PROPERTIES_PREFIX)) {
                // class names are those of the libraries as relocated inside the plugin jar
                jdbcProperties.put(
                        entry.getKey().substring(JDBC_PROPERTIES_PREFIX.length()),
                        ShadedNames.translate(entry.getValue()));
            } else if (entry.getKey().startsWith(DEBEZIUM_PREFIX)) {
                debezium.put(
                        entry.getKey().substring(DEBEZIUM_PREFIX.length()),
                        ShadedNames.translate(entry.getValue()));
            }
        }
        this.debeziumProperties = Collections.unmodifiableMap(debezium);
        try {
            ToastMode toastMode =
                    OptionValue.parse(
                            ToastMode.class,
                            TOAST_UNCHANGED_VALUE_MODE.key(),
                            options.string(TOAST_UNCHANGED_VALUE_MODE));
            this.typeOptions = TypeMappingOptions.from(debezium, toastMode);
        } catch (IllegalArgumentException e) {
            throw new OptionException("debezium.*", e.getMessage());
        }

        this.connection =
                new ConnectionSettings(
                        options.required(HOSTNAME).trim(),
                        options.port(PG_PORT),
                        database,
                        options.required(USERNAME),
                        options.required(PASSWORD),
                        options.positiveDuration(CONNECT_TIMEOUT),
                        options.nonNegativeInt(CONNECT_MAX_RETRIES),
                        jdbcProperties);

        this.slotName = options.required(SLOT_NAME).trim();
        if (!slotName.matches("[a-z0-9_]+") || slotName.length() > MAX_SLOT_NAME_LENGTH) {
            throw new OptionException(
                    SLOT_NAME.key(),
                    "is '"
                            + slotName
                            + "'; a replication slot name may contain only lower case letters,"
                            + " digits and underscores, at most "
                            + MAX_SLOT_NAME_LENGTH
                            + " characters");
        }
        this.decodingPluginName =
                options.string(DECODING_PLUGIN_NAME).trim().toLowerCase(Locale.ROOT);
        if (!DECODING_PLUGINS.contains(decodingPluginName)) {
            throw new OptionException(
                    DECODING_PLUGIN_NAME.key(),
                    "is '" + decodingPluginName + "'; expected one of " + DECODING_PLUGINS);
        }
        this.serverTimeZone =
                options.isSet(SERVER_TIME_ZONE) ? options.string(SERVER_TIME_ZONE).trim() : null;
        if (serverTimeZone != null) {
            try {
                ZoneId.of(serverTimeZone);
            } catch (DateTimeException e) {
                throw new OptionException(
                        SERVER_TIME_ZONE.key(),
                        "is '"
                                + serverTimeZone
                                + "', not a time zone; use a region id such as UTC or"
                                + " Europe/Berlin");
            }
            ineffectiveOptions.add(
                    "'"
                            + SERVER_TIME_ZONE.key()
                            + "' has no effect on PostgreSQL values (as in postgres-cdc, whose"
                            + " pipeline passes it only to a MySQL driver property): timestamptz"
                            + " values are instants (TIMESTAMP_LTZ), timestamp values are local"
                            + " date-times without a zone; the pipeline's 'local-time-zone' decides"
                            + " how sinks render instants");
        }
        this.startupMode = options.string(SCAN_STARTUP_MODE).trim().toLowerCase(Locale.ROOT);
        if (!STARTUP_MODES.containsKey(startupMode)) {
            throw new OptionException(
                    SCAN_STARTUP_MODE.key(),
                    "is '"
                            + startupMode
                            + "'; expected one of "
                            + new TreeSet<>(STARTUP_MODES.keySet()));
        }
        this.chunkSize = options.positiveInt(SCAN_INCREMENTAL_SNAPSHOT_CHUNK_SIZE);
        this.fetchSize = options.positiveInt(SCAN_SNAPSHOT_FETCH_SIZE);
        this.chunkKeyColumn =
                options.isSet(SCAN_INCREMENTAL_SNAPSHOT_CHUNK_KEY_COLUMN)
                        ? options.string(SCAN_INCREMENTAL_SNAPSHOT_CHUNK_KEY_COLUMN).trim()
                        : null;
        this.chunkMetaGroupSize = options.positiveInt(CHUNK_META_GROUP_SIZE);
        this.distributionFactorUpper =
                options.positiveDouble(SPLIT_KEY_EVEN_DISTRIBUTION_FACTOR_UPPER_BOUND);
        this.distributionFactorLower =
                options.positiveDouble(SPLIT_KEY_EVEN_DISTRIBUTION_FACTOR_LOWER_BOUND);
        if (distributionFactorLower > distributionFactorUpper) {
            throw new OptionException(
                    SPLIT_KEY_EVEN_DISTRIBUTION_FACTOR_LOWER_BOUND.key(),
                    "("
                            + distributionFactorLower
                            + ") is larger than '"
                            + SPLIT_KEY_EVEN_DISTRIBUTION_FACTOR_UPPER_BOUND.key()
                            + "' ("
                            + distributionFactorUpper
                            + ")");
        }
        this.skipSnapshotBackfill = options.bool(SCAN_INCREMENTAL_SNAPSHOT_BACKFILL_SKIP);
        this.unboundedChunkFirst = options.bool(SCAN_INCREMENTAL_SNAPSHOT_UNBOUNDED_CHUNK_FIRST);
        this.closeIdleReaders = options.bool(SCAN_INCREMENTAL_CLOSE_IDLE_READER_ENABLED);
        this.lsnCommitCheckpointsDelay = options.nonNegativeInt(SCAN_LSN_COMMIT_CHECKPOINTS_DELAY);
        this.heartbeatInterval = options.nonNegativeDuration(HEARTBEAT_INTERVAL);
        this.connectMaxRetries = connection.connectMaxRetries();
        this.connectionPoolSize = options.positiveInt(CONNECTION_POOL_SIZE);
        if (options.isSet(CONNECTION_POOL_SIZE)) {
            ineffectiveOptions.add(
                    "'"
                            + CONNECTION_POOL_SIZE.key()
                            + "' has no effect: pgcdc pools no connections (the enumerator and each"
                            + " reader hold one; see 'Connections' in the README)");
        }
        this.metadataColumns =
                options.isSet(METADATA_LIST)
                        ? MetadataColumns.parse(METADATA_LIST.key(), options.string(METADATA_LIST))
                        : Collections.emptyList();
        this.tableIdIncludeDatabase = options.bool(TABLE_ID_INCLUDE_DATABASE);
        this.schemaChangeEnabled = options.bool(SCHEMA_CHANGE_ENABLED);
        this.startupChecks = options.bool(STARTUP_CHECKS_ENABLED);
        // our options, else the Debezium ones an upstream configuration may carry
        this.publicationName =
                options.isSet(PUBLICATION_NAME) || !debezium.containsKey("publication.name")
                        ? options.string(PUBLICATION_NAME).trim()
                        : debezium.get("publication.name").trim();
        if (publicationName.isEmpty()) {
            throw new OptionException(
                    PUBLICATION_NAME.key(), "is empty; name the publication, e.g. dbz_publication");
        }
        String mode =
                options.isSet(PUBLICATION_AUTOCREATE_MODE)
                                || !debezium.containsKey("publication.autocreate.mode")
                        ? options.string(PUBLICATION_AUTOCREATE_MODE)
                        : debezium.get("publication.autocreate.mode");
        this.publicationAutocreateMode =
                OptionValue.parse(PublicationMode.class, PUBLICATION_AUTOCREATE_MODE.key(), mode);
        this.includePartitionedTables = options.bool(SCAN_INCLUDE_PARTITIONED_TABLES_ENABLED);
        this.scanNewlyAddedTables = options.bool(SCAN_NEWLY_ADDED_TABLE_ENABLED);
    }

    /** Every option the factory knows, for SPI discovery and the unknown-option check. */
    public static Set<ConfigOption<?>> requiredOptions() {
        return new LinkedHashSet<>(Arrays.asList(HOSTNAME, USERNAME, PASSWORD, TABLES, SLOT_NAME));
    }

    public static Set<ConfigOption<?>> optionalOptions() {
        return new LinkedHashSet<>(
                Arrays.asList(
                        PG_PORT,
                        DECODING_PLUGIN_NAME,
                        SERVER_TIME_ZONE,
                        SCAN_STARTUP_MODE,
                        SCAN_INCREMENTAL_SNAPSHOT_CHUNK_SIZE,
                        SCAN_SNAPSHOT_FETCH_SIZE,
                        SCAN_INCREMENTAL_SNAPSHOT_CHUNK_KEY_COLUMN,
                        CHUNK_META_GROUP_SIZE,
                        SPLIT_KEY_EVEN_DISTRIBUTION_FACTOR_UPPER_BOUND,
                        SPLIT_KEY_EVEN_DISTRIBUTION_FACTOR_LOWER_BOUND,
                        SCAN_INCREMENTAL_SNAPSHOT_BACKFILL_SKIP,
                        SCAN_INCREMENTAL_SNAPSHOT_UNBOUNDED_CHUNK_FIRST,
                        SCAN_INCREMENTAL_CLOSE_IDLE_READER_ENABLED,
                        SCAN_LSN_COMMIT_CHECKPOINTS_DELAY,
                        HEARTBEAT_INTERVAL,
                        CONNECT_TIMEOUT,
                        CONNECT_MAX_RETRIES,
                        CONNECTION_POOL_SIZE,
                        TABLES_EXCLUDE,
                        METADATA_LIST,
                        TABLE_ID_INCLUDE_DATABASE,
                        SCHEMA_CHANGE_ENABLED,
                        STARTUP_CHECKS_ENABLED,
                        PUBLICATION_NAME,
                        PUBLICATION_AUTOCREATE_MODE,
                        SCAN_INCLUDE_PARTITIONED_TABLES_ENABLED,
                        TOAST_UNCHANGED_VALUE_MODE,
                        SCAN_NEWLY_ADDED_TABLE_ENABLED));
    }

    /**
     * Parses and validates the raw options of a pipeline YAML's {@code source:} block (without
     * {@code type}/{@code name}).
     */
    public static PostgresSourceSettings parse(Map<String, String> raw) {
        Set<String> known = new TreeSet<>();
        requiredOptions().forEach(o -> known.add(o.key()));
        optionalOptions().forEach(o -> known.add(o.key()));
        List<String> unknown = new ArrayList<>();
        for (String key : raw.keySet()) {
            if (!known.contains(key)
                    && !key.startsWith(DEBEZIUM_PREFIX)
                    && !key.startsWith(JDBC_PROPERTIES_PREFIX)) {
                unknown.add(key);
            }
        }
        if (!unknown.isEmpty()) {
            Collections.sort(unknown);
            throw new OptionException(
                    unknown.get(0),
                    "is not an option of the postgres source"
                            + (unknown.size() > 1
                                    ? " (nor are " + unknown.subList(1, unknown.size()) + ")"
                                    : "")
                            + "; known options are "
                            + known
                            + " and the prefixes '"
                            + DEBEZIUM_PREFIX
                            + "*' and '"
                            + JDBC_PROPERTIES_PREFIX
                            + "*'");
        }
        return new PostgresSourceSettings(new OptionReader(raw), raw);
    }

    public String database() {
        return connection.database();
    }

    public StartupOptions startupOptions() {
        return STARTUP_MODES.get(startupMode);
    }

    /**
     * The slot the job streams from: the one {@code slot.name} names, except in the {@code
     * snapshot} startup mode, which uses (and drops at its end) a slot of its own.
     */
    public String jobSlotName() {
        return startupOptions().isSnapshotOnly()
                ? SlotNames.snapshotMode(slotName, database())
                : slotName;
    }

    /** The {@code debezium.*} options with the prefix removed. */
    public Properties debeziumProperties() {
        Properties props = new Properties();
        props.putAll(debeziumProperties);
        return props;
    }

    @Override
    public String toString() {
        return "PostgresSourceSettings{"
                + connection
                + ", tables="
                + tables.stream().map(TablePattern::text).collect(Collectors.joining(","))
                + ", slot="
                + slotName
                + ", startup="
                + startupMode
                + "}";
    }
}
