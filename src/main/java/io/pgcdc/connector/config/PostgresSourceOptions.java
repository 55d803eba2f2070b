package io.pgcdc.connector.config;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.cdc.common.configuration.ConfigOption;
import org.apache.flink.cdc.common.configuration.ConfigOptions;

import java.time.Duration;

/**
 * Options of the {@code postgres} pipeline source. Names and defaults match the upstream Flink CDC
 * PostgreSQL pipeline connector (3.5/3.6) so that a pipeline YAML moves over unchanged.
 */
@PublicEvolving
public final class PostgresSourceOptions {

    /** Options passed on to Debezium, with the prefix removed. */
    public static final String DEBEZIUM_PREFIX = "debezium.";

    /** Options passed on to pgjdbc for every JDBC connection, with the prefix removed. */
    public static final String JDBC_PROPERTIES_PREFIX = "jdbc.properties.";

    public static final ConfigOption<String> HOSTNAME =
            ConfigOptions.key("hostname")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("Host name or IP address of the PostgreSQL server.");

    public static final ConfigOption<Integer> PG_PORT =
            ConfigOptions.key("port")
                    .intType()
                    .defaultValue(5432)
                    .withDescription("Port of the PostgreSQL server.");

    public static final ConfigOption<String> USERNAME =
            ConfigOptions.key("username")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("User to connect as; needs REPLICATION and SELECT.");

    public static final ConfigOption<String> PASSWORD =
            ConfigOptions.key("password")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("Password of the user.");

    public static final ConfigOption<String> TABLES =
            ConfigOptions.key("tables")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Tables to capture as comma separated db.schema.table regular"
                                    + " expressions; '\\.' is the regex dot, e.g."
                                    + " app.public.order_\\.*");

    public static final ConfigOption<String> TABLES_EXCLUDE =
            ConfigOptions.key("tables.exclude")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Tables to leave out of 'tables', in the same db.schema.table form.");

    public static final ConfigOption<String> SLOT_NAME =
            ConfigOptions.key("slot.name")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Logical replication slot to stream from; created if missing. Lower"
                                    + " case letters, digits and underscores.");

    public static final ConfigOption<String> DECODING_PLUGIN_NAME =
            ConfigOptions.key("decoding.plugin.name")
                    .stringType()
                    .defaultValue("pgoutput")
                    .withDescription(
                            "Logical decoding plugin: pgoutput, decoderbufs, wal2json,"
                                    + " wal2json_streaming, wal2json_rds, wal2json_rds_streaming.");

    public static final ConfigOption<String> SERVER_TIME_ZONE =
            ConfigOptions.key("server-time-zone")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Session time zone of the server, e.g. UTC or Europe/Berlin; defaults"
                                    + " to the JVM's zone.");

    public static final ConfigOption<String> SCAN_STARTUP_MODE =
            ConfigOptions.key("scan.startup.mode")
                    .stringType()
                    .defaultValue("initial")
                    .withDescription(
                            "initial (snapshot, then stream), latest-offset, committed-offset or"
                                    + " snapshot (bounded).");

    public static final ConfigOption<Integer> SCAN_INCREMENTAL_SNAPSHOT_CHUNK_SIZE =
            ConfigOptions.key("scan.incremental.snapshot.chunk.size")
                    .intType()
                    .defaultValue(8096)
                    .withDescription("Rows per snapshot split (chunk).");

    public static final ConfigOption<Integer> SCAN_SNAPSHOT_FETCH_SIZE =
            ConfigOptions.key("scan.snapshot.fetch.size")
                    .intType()
                    .defaultValue(1024)
                    .withDescription("Rows fetched per round trip by the snapshot cursor.");

    public static final ConfigOption<String> SCAN_INCREMENTAL_SNAPSHOT_CHUNK_KEY_COLUMN =
            ConfigOptions.key("scan.incremental.snapshot.chunk.key-column")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Column used to split tables into chunks; defaults to the first primary"
                                    + " key column.");

    public static final ConfigOption<Integer> CHUNK_META_GROUP_SIZE =
            ConfigOptions.key("chunk-meta.group.size")
                    .intType()
                    .defaultValue(1000)
                    .withDescription("Split metadata entries per group sent to readers.");

    public static final ConfigOption<Double> SPLIT_KEY_EVEN_DISTRIBUTION_FACTOR_UPPER_BOUND =
            ConfigOptions.key("chunk-key.even-distribution.factor.upper-bound")
                    .doubleType()
                    .defaultValue(1000.0d)
                    .withDescription("Upper bound of the distribution factor for even splitting.");

    public static final ConfigOption<Double> SPLIT_KEY_EVEN_DISTRIBUTION_FACTOR_LOWER_BOUND =
            ConfigOptions.key("chunk-key.even-distribution.factor.lower-bound")
                    .doubleType()
                    .defaultValue(0.05d)
                    .withDescription("Lower bound of the distribution factor for even splitting.");

    public static final ConfigOption<Boolean> SCAN_INCREMENTAL_SNAPSHOT_BACKFILL_SKIP =
            ConfigOptions.key("scan.incremental.snapshot.backfill.skip")
                    .booleanType()
                    .defaultValue(true)
                    .withDescription(
                            "Skip the per-split backfill (at-least-once snapshot, no backfill"
                                    + " slots).");

    public static final ConfigOption<Boolean> SCAN_INCREMENTAL_SNAPSHOT_UNBOUNDED_CHUNK_FIRST =
            ConfigOptions.key("scan.incremental.snapshot.unbounded-chunk-first.enabled")
                    .booleanType()
                    .defaultValue(false)
                    .withDescription("Assign the unbounded last chunk first.");

    public static final ConfigOption<Boolean> SCAN_INCREMENTAL_CLOSE_IDLE_READER_ENABLED =
            ConfigOptions.key("scan.incremental.close-idle-reader.enabled")
                    .booleanType()
                    .defaultValue(false)
                    .withDescription("Close readers that have no split left after the snapshot.");

    public static final ConfigOption<Integer> SCAN_LSN_COMMIT_CHECKPOINTS_DELAY =
            ConfigOptions.key("scan.lsn-commit.checkpoints-num-delay")
                    .intType()
                    .defaultValue(3)
                    .withDescription(
                            "Checkpoints to wait before confirming an LSN to the slot (0 = at"
                                    + " once).");

    public static final ConfigOption<Duration> HEARTBEAT_INTERVAL =
            ConfigOptions.key("heartbeat.interval")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(30))
                    .withDescription("Interval of heartbeat events that advance the slot.");

    public static final ConfigOption<Duration> CONNECT_TIMEOUT =
            ConfigOptions.key("connect.timeout")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(30))
                    .withDescription(
                            "Time to connect and log in, for every connection the source opens"
                                + " (JDBC and replication); a server that does not answer in time"
                                + " fails the attempt.");

    public static final ConfigOption<Integer> CONNECT_MAX_RETRIES =
            ConfigOptions.key("connect.max-retries")
                    .intType()
                    .defaultValue(3)
                    .withDescription(
                            "Attempts after the first to open a JDBC connection whose failure may"
                                + " pass (unreachable, starting up, no free slot, timed out), with"
                                + " pauses doubling from 0.5 s to 8 s.");

    public static final ConfigOption<Integer> CONNECTION_POOL_SIZE =
            ConfigOptions.key("connection.pool.size")
                    .intType()
                    .defaultValue(20)
                    .withDescription(
                            "Accepted for compatibility with postgres-cdc; no effect: pgcdc pools"
                                    + " no connections (the enumerator and each reader hold one).");

    public static final ConfigOption<String> METADATA_LIST =
            ConfigOptions.key("metadata.list")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Comma separated metadata columns to add: op_ts, table_name,"
                                    + " database_name, schema_name.");

    public static final ConfigOption<Boolean> TABLE_ID_INCLUDE_DATABASE =
            ConfigOptions.key("table-id.include-database")
                    .booleanType()
                    .defaultValue(false)
                    .withDescription(
                            "Table ids are (db, schema, table) instead of (schema, table).");

    public static final ConfigOption<Boolean> SCHEMA_CHANGE_ENABLED =
            ConfigOptions.key("schema-change.enabled")
                    .booleanType()
                    .defaultValue(false)
                    .withDescription(
                            "Emit schema change events inferred from the replication stream.");

    public static final ConfigOption<Boolean> STARTUP_CHECKS_ENABLED =
            ConfigOptions.key("startup-checks.enabled")
                    .booleanType()
                    .defaultValue(true)
                    .withDescription(
                            "Check wal_level, privileges, primary keys, replica identities and the"
                                    + " slot when the job is created, and fail with one line per"
                                    + " problem.");

    public static final ConfigOption<String> PUBLICATION_NAME =
            ConfigOptions.key("publication.name")
                    .stringType()
                    .defaultValue("dbz_publication")
                    .withDescription("The pgoutput publication the job streams through.");

    public static final ConfigOption<String> PUBLICATION_AUTOCREATE_MODE =
            ConfigOptions.key("publication.autocreate.mode")
                    .stringType()
                    .defaultValue("all_tables")
                    .withDescription(
                            "disabled (the publication must exist), all_tables (created FOR ALL"
                                    + " TABLES if missing) or filtered (created for the captured"
                                    + " tables; captured tables it lacks are added before they are"
                                    + " streamed).");

    public static final ConfigOption<Boolean> SCAN_INCLUDE_PARTITIONED_TABLES_ENABLED =
            ConfigOptions.key("scan.include-partitioned-tables.enabled")
                    .booleanType()
                    .defaultValue(false)
                    .withDescription(
                            "Capture partitioned tables through their root: the rows of all"
                                    + " partitions under the parent's table id; the publication"
                                    + " publishes via the partition root.");

    public static final ConfigOption<String> TOAST_UNCHANGED_VALUE_MODE =
            ConfigOptions.key("toast.unchanged-value.mode")
                    .stringType()
                    .defaultValue("fail")
                    .withDescription(
                            "An update that leaves a TOASTed value unchanged carries no value for"
                                + " it unless the table has REPLICA IDENTITY FULL (then the before"
                                + " value is used): fail (the default, naming the table, column and"
                                + " fix), null, or placeholder (Debezium's placeholder text).");

    public static final ConfigOption<Boolean> SCAN_NEWLY_ADDED_TABLE_ENABLED =
            ConfigOptions.key("scan.newly-added-table.enabled")
                    .booleanType()
                    .defaultValue(false)
                    .withDescription(
                            "On a restore from a savepoint, snapshot and then stream the tables"
                                    + " that 'tables' matches now but did not before, without"
                                    + " re-reading the others.");

    private PostgresSourceOptions() {}
}
