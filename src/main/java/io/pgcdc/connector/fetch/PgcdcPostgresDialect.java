package io.pgcdc.connector.fetch;

import org.apache.flink.annotation.Internal;
import org.apache.flink.cdc.connectors.base.config.JdbcSourceConfig;
import org.apache.flink.cdc.connectors.base.source.meta.offset.Offset;
import org.apache.flink.cdc.connectors.base.source.meta.split.SourceSplitBase;
import org.apache.flink.cdc.connectors.base.source.reader.external.FetchTask;
import org.apache.flink.cdc.connectors.base.source.reader.external.JdbcSourceFetchTaskContext;
import org.apache.flink.cdc.connectors.postgres.source.PostgresDialect;
import org.apache.flink.cdc.connectors.postgres.source.config.PostgresSourceConfig;
import org.apache.flink.util.FlinkRuntimeException;

import io.debezium.connector.postgresql.Utils;
import io.debezium.jdbc.JdbcConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;

/**
 * Our seam into postgres-cdc on a reader (a task): each reader has its own instance, bound to the
 * {@link ReaderConnections} it owns, which hold the reader's connection and backfill slot. The
 * enumerator has a dialect of its own (see {@code EnumeratorDialect}). Connections are direct and
 * owned by whoever opened them: postgres-cdc's JVM-wide pools are never used, so closing a dialect
 * cannot affect another job.
 *
 * <p>Threading: the reader's fetcher and producer threads; what they share is in {@link
 * ReaderConnections}, which synchronizes.
 */
@Internal
public class PgcdcPostgresDialect extends PostgresDialect {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(PgcdcPostgresDialect.class);

    private final transient ReaderConnections reader;

    /** The reader's row schemas of snapshotted tables. */
    private final transient SnapshotTableSchemas snapshotSchemas;

    /** The reader's current stream task: completed checkpoints commit its offset to the slot. */
    private transient volatile PgcdcStreamFetchTask streamFetchTask;

    private PgcdcPostgresDialect(PostgresSourceConfig config, ReaderConnections reader) {
        super(config);
        this.reader = reader;
        this.snapshotSchemas = new SnapshotTableSchemas(config.getDbzConnectorConfig());
    }

    /** A reader's dialect: its fetch tasks use the reader's connection and backfill slot. */
    public static PgcdcPostgresDialect forReader(
            PostgresSourceConfig config, ReaderConnections reader) {
        return new PgcdcPostgresDialect(config, reader);
    }

    /**
     * A handle on the reader's one connection, whatever postgres-cdc runs with "its own" connection
     * on a reader: the schema discovery when the stream split arrives (no snapshot split runs
     * then).
     */
    @Override
    public JdbcConnection openJdbcConnection(JdbcSourceConfig sourceConfig) {
        try {
            return reader.sharedHandle();
        } catch (SQLException e) {
            throw new FlinkRuntimeException(
                    "Cannot open a connection to PostgreSQL: " + e.getMessage(), e);
        }
    }

    /**
     * Watermarks are read over the reader's own connection (the one the split's rows come from)
     * instead of a new connection per watermark.
     */
    @Override
    public Offset displayCurrentOffset(JdbcSourceConfig sourceConfig) {
        try {
            return Utils.currentOffset(reader.currentJdbc("snapshot"));
        } catch (SQLException e) {
            throw new FlinkRuntimeException(
                    "Cannot read the current WAL position: " + e.getMessage(), e);
        }
    }

    /** Our context: the reader's connection, split scopes, nothing left behind. */
    @Override
    public JdbcSourceFetchTaskContext createFetchTaskContext(JdbcSourceConfig taskSourceConfig) {
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
     * checkpoint taken while this reader held no stream split carries no offset ({@code null}): it
     * confirms nothing. (postgres-cdc's task then confirmed Debezium's live position, what had been
     * read rather than emitted, so a failover before the next checkpoint lost the difference.)
     */
    @Override
    public void notifyCheckpointComplete(long checkpointId, Offset offset) throws Exception {
        PgcdcStreamFetchTask task = streamFetchTask;
        if (task == null || offset == null) {
            LOG.debug(
                    "Checkpoint {} holds no stream offset; the slot confirms nothing",
                    checkpointId);
            return;
        }
        task.commitCurrentOffset(offset);
    }

    /**
     * postgres-cdc's reader asks for the slot to go as soon as the {@code snapshot} startup mode's
     * bounded stream has ended, which a failover can still need; our reader drops it once the job
     * is done with it (see {@code PgcdcSourceReader}), so this does nothing.
     */
    @Override
    public boolean removeSlot(String slotName) {
        return false;
    }

    /** A reader's dialect owns nothing; its reader does. */
    @Override
    public void close() {}
}
