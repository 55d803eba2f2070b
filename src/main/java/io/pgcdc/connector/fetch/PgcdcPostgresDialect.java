package io.pgcdc.connector.fetch;

import org.apache.flink.cdc.connectors.base.config.JdbcSourceConfig;
import org.apache.flink.cdc.connectors.base.source.meta.offset.Offset;
import org.apache.flink.cdc.connectors.base.source.meta.split.SourceSplitBase;
import org.apache.flink.cdc.connectors.base.source.reader.external.FetchTask;
import org.apache.flink.cdc.connectors.base.source.reader.external.JdbcSourceFetchTaskContext;
import org.apache.flink.cdc.connectors.postgres.source.PostgresDialect;
import org.apache.flink.cdc.connectors.postgres.source.config.PostgresSourceConfig;
import org.apache.flink.util.FlinkRuntimeException;

import io.debezium.connector.postgresql.Utils;
import io.debezium.connector.postgresql.connection.PostgresConnection;
import io.debezium.jdbc.JdbcConnection;
import io.pgcdc.connector.resource.ConnectionLedger;
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
    /** Set on the reader's instance only; never serialized (readers build theirs on the task). */
    private final transient ReaderConnections reader;
    private transient ConnectionLedger enumeratorLedger;

    /** The enumerator's dialect. */
    public PgcdcPostgresDialect(PostgresSourceConfig config) {
        this(config, null);
    }

    private PgcdcPostgresDialect(PostgresSourceConfig config, ReaderConnections reader) {
        super(config);
        this.config = config;
        this.reader = reader;
    }

    /** A reader's dialect: its fetch tasks use the reader's connection and backfill slot. */
    public static PgcdcPostgresDialect forReader(PostgresSourceConfig config, ReaderConnections reader) {
        return new PgcdcPostgresDialect(config, reader);
    }

    @Override
    public JdbcConnection openJdbcConnection(JdbcSourceConfig sourceConfig) {
        if (reader != null) {
            return reader.openConnection("reader");
        }
        return TrackedPostgresConnection.open(
                ((PostgresSourceConfig) sourceConfig).getDbzConnectorConfig(), ENUMERATOR_ROLE, enumeratorLedger());
    }

    private synchronized ConnectionLedger enumeratorLedger() {
        if (enumeratorLedger == null) {
            enumeratorLedger = new ConnectionLedger(ENUMERATOR_ROLE);
        }
        return enumeratorLedger;
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
        return new PgcdcFetchTaskContext(taskSourceConfig, this, reader);
    }

    @Override
    public FetchTask<SourceSplitBase> createFetchTask(SourceSplitBase split) {
        if (split.isSnapshotSplit()) {
            return new PgcdcScanFetchTask(split.asSnapshotSplit());
        }
        return super.createFetchTask(split);
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

    /** Nothing pooled to close: unlike upstream, this never clears other jobs' pools. */
    @Override
    public void close() {
        if (reader == null && enumeratorLedger != null) {
            LOG.info("{}", enumeratorLedger);
        }
    }
}
