package io.pgcdc.connector.fetch;

import org.apache.flink.cdc.connectors.base.config.JdbcSourceConfig;
import org.apache.flink.cdc.connectors.base.source.assigner.splitter.ChunkSplitter;
import org.apache.flink.cdc.connectors.base.source.assigner.state.ChunkSplitterState;
import org.apache.flink.cdc.connectors.base.source.meta.offset.Offset;
import org.apache.flink.cdc.connectors.base.source.meta.split.SourceSplitBase;
import org.apache.flink.cdc.connectors.base.source.reader.external.FetchTask;
import org.apache.flink.cdc.connectors.base.source.reader.external.JdbcSourceFetchTaskContext;
import org.apache.flink.cdc.connectors.postgres.source.PostgresDialect;
import org.apache.flink.cdc.connectors.postgres.source.config.PostgresSourceConfig;
import org.apache.flink.util.FlinkRuntimeException;

import io.debezium.connector.postgresql.PostgresConnectorConfig;
import io.debezium.connector.postgresql.Utils;
import io.debezium.connector.postgresql.connection.PostgresConnection;
import io.debezium.jdbc.JdbcConnection;
import io.pgcdc.connector.resource.ConnectionLedger;
import io.pgcdc.connector.source.ConnectionSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Our seam into postgres-cdc. One instance serves the enumerator (the source's own dialect,
 * connections labelled {@code pgcdc-enumerator}); each reader gets its own instance bound to its
 * {@link ReaderConnections}, which owns the reader's connection and backfill slot. Connections are
 * direct and owned by whoever opened them: postgres-cdc's JVM-wide pools are never used, so closing
 * a dialect cannot affect another job.
 */
public class PgcdcPostgresDialect extends PostgresDialect {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(PgcdcPostgresDialect.class);

    static final String ENUMERATOR_ROLE = "enumerator";

    private final PostgresSourceConfig config;
    /** Prepared by the enumerator's instance; null on readers. */
    private final Publication publication;
    /** Set on the reader's instance only; never serialized (readers build theirs on the task). */
    private final transient ReaderConnections reader;
    /** The reader's row schemas of snapshotted tables; reader instances only. */
    private final transient SnapshotTableSchemas snapshotSchemas;
    private transient ConnectionLedger enumeratorLedger;
    private transient TrackedPostgresConnection enumeratorConnection;
    /** The reader's current stream task: completed checkpoints commit its offset to the slot. */
    private transient volatile PgcdcStreamFetchTask streamFetchTask;

    /** The enumerator's dialect; it prepares the publication before the slot is created. */
    public PgcdcPostgresDialect(PostgresSourceConfig config, Publication publication) {
        this(config, null, publication);
    }

    private PgcdcPostgresDialect(PostgresSourceConfig config, ReaderConnections reader, Publication publication) {
        super(config);
        this.config = config;
        this.reader = reader;
        this.publication = publication;
        this.snapshotSchemas = reader == null ? null : new SnapshotTableSchemas(config.getDbzConnectorConfig());
    }

    /** A reader's dialect: its fetch tasks use the reader's connection and backfill slot. */
    public static PgcdcPostgresDialect forReader(PostgresSourceConfig config, ReaderConnections reader) {
        return new PgcdcPostgresDialect(config, reader, null);
    }

    /**
     * A handle on the owner's one connection, whatever the number of tasks postgres-cdc runs with
     * "its own" connection: on the enumerator discovery, the slot check and the chunk splitter's
     * long-held one; on a reader the schema discovery when the stream split arrives (no snapshot
     * split runs then) and the slot removal of the {@code snapshot} startup mode.
     */
    @Override
    public JdbcConnection openJdbcConnection(JdbcSourceConfig sourceConfig) {
        if (reader != null) {
            try {
                return reader.sharedHandle();
            } catch (SQLException e) {
                throw new FlinkRuntimeException("Cannot open a connection to PostgreSQL: " + e.getMessage(), e);
            }
        }
        PostgresConnectorConfig dbz = ((PostgresSourceConfig) sourceConfig).getDbzConnectorConfig();
        try {
            return new SharedConnectionHandle(
                    dbz, enumeratorConnection(dbz).connection(), ConnectionSettings.applicationName(ENUMERATOR_ROLE));
        } catch (SQLException e) {
            throw new FlinkRuntimeException("Cannot open a connection to PostgreSQL: " + e.getMessage(), e);
        }
    }

    /** The enumerator's connection, opened on first use and again after {@link #close()}. */
    private synchronized TrackedPostgresConnection enumeratorConnection(PostgresConnectorConfig dbz) {
        if (enumeratorLedger == null) {
            enumeratorLedger = new ConnectionLedger(ENUMERATOR_ROLE);
        }
        if (enumeratorConnection == null) {
            enumeratorConnection = TrackedPostgresConnection.open(dbz, ENUMERATOR_ROLE, enumeratorLedger);
        }
        return enumeratorConnection;
    }

    /**
     * On a reader, watermarks are read over the reader's own connection (the one the split's rows
     * come from) instead of a new connection per watermark.
     */
    @Override
    public Offset displayCurrentOffset(JdbcSourceConfig sourceConfig) {
        if (reader == null) {
            return super.displayCurrentOffset(sourceConfig);
        }
        try {
            return Utils.currentOffset(reader.currentJdbc("snapshot"));
        } catch (SQLException e) {
            throw new FlinkRuntimeException("Cannot read the current WAL position: " + e.getMessage(), e);
        }
    }

    /** Our context: the reader's connection, split scopes, nothing left behind. */
    @Override
    public JdbcSourceFetchTaskContext createFetchTaskContext(JdbcSourceConfig taskSourceConfig) {
        if (reader == null) {
            throw new IllegalStateException("Fetch tasks run on readers; this is the enumerator's dialect");
        }
        return new PgcdcFetchTaskContext(taskSourceConfig, this, reader, snapshotSchemas);
    }

    @Override
    public FetchTask<SourceSplitBase> createFetchTask(SourceSplitBase split) {
        if (split.isSnapshotSplit()) {
            return new PgcdcScanFetchTask(split.asSnapshotSplit());
        }
        streamFetchTask = new PgcdcStreamFetchTask(split.asStreamSplit());
        return streamFetchTask;
    }

    /**
     * Confirms to the slot the stream offset of a completed checkpoint, and nothing else. A
     * checkpoint taken while this reader held no stream split carries no offset ({@code null}):
     * it confirms nothing. (postgres-cdc's task then confirmed Debezium's live position, what had
     * been read rather than emitted, so a failover before the next checkpoint lost the difference.)
     */
    @Override
    public void notifyCheckpointComplete(long checkpointId, Offset offset) throws Exception {
        PgcdcStreamFetchTask task = streamFetchTask;
        if (task == null || offset == null) {
            LOG.debug("Checkpoint {} holds no stream offset; the slot confirms nothing", checkpointId);
            return;
        }
        task.commitCurrentOffset(offset);
    }

    /**
     * postgres-cdc's reader asks for the slot to go when the {@code snapshot} startup mode's
     * bounded stream has ended, while that stream may still hold it; on a reader the drop is
     * deferred to the reader's close, after the stream has let go.
     */
    @Override
    public boolean removeSlot(String slotName) {
        if (reader == null) {
            return super.removeSlot(slotName);
        }
        reader.dropSlotOnClose(slotName);
        return true;
    }

    @Override
    public ChunkSplitter createChunkSplitter(JdbcSourceConfig sourceConfig) {
        return new DroppedTableTolerantChunkSplitter(sourceConfig, this, ChunkSplitterState.NO_SPLITTING_TABLE_STATE);
    }

    @Override
    public ChunkSplitter createChunkSplitter(JdbcSourceConfig sourceConfig, ChunkSplitterState state) {
        return new DroppedTableTolerantChunkSplitter(sourceConfig, this, state);
    }

    /**
     * Creates or completes the publication for the captured tables (see {@link Publication}); runs
     * when the enumerator starts, before the slot is created and before any table is streamed.
     */
    public void preparePublication() {
        if (publication == null || !"pgoutput".equals(getPluginName())) {
            return;
        }
        try (PostgresConnection jdbc = (PostgresConnection) openJdbcConnection(config)) {
            publication.prepare(jdbc, () -> discoverDataCollections(config));
        } catch (SQLException e) {
            throw new FlinkRuntimeException("Cannot prepare " + publication + ": " + e.getMessage(), e);
        }
    }

    /**
     * Drops this job's inactive backfill slots ({@code <slot.name>_<n>}) left by tasks that died
     * without closing. Runs when the enumerator starts, before any reader of this job runs; an
     * active slot of that name belongs to someone else and is left alone.
     */
    public void dropStaleBackfillSlots() {
        Pattern backfillSlot = Pattern.compile(Pattern.quote(getSlotName()) + "_\\d+");
        try (PostgresConnection jdbc = (PostgresConnection) openJdbcConnection(config)) {
            List<String> stale = new ArrayList<>();
            jdbc.query(
                    "SELECT slot_name FROM pg_replication_slots WHERE NOT active AND database = current_database()",
                    rs -> {
                        while (rs.next()) {
                            Matcher matcher = backfillSlot.matcher(rs.getString(1));
                            if (matcher.matches()) {
                                stale.add(rs.getString(1));
                            }
                        }
                    });
            for (String slot : stale) {
                LOG.info("Dropping stale backfill slot '{}' left by an earlier run of this job", slot);
                jdbc.prepareQuery("SELECT pg_drop_replication_slot(?)", ps -> ps.setString(1, slot), rs -> {});
            }
        } catch (SQLException e) {
            LOG.warn("Could not look for stale backfill slots: {}", e.getMessage());
        }
    }

    /**
     * Called when the enumerator's split assigner closes: closes the enumerator's connection.
     * Unlike upstream's, it never clears the pools of other jobs in the JVM. A reader's dialect
     * owns nothing; its reader does.
     */
    @Override
    public synchronized void close() {
        if (enumeratorConnection != null) {
            enumeratorConnection.close();
            enumeratorConnection = null;
            LOG.info("{}", enumeratorLedger);
        }
    }
}
