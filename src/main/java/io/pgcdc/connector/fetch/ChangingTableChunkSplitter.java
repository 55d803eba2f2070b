package io.pgcdc.connector.fetch;

import org.apache.flink.annotation.Internal;
import org.apache.flink.annotation.VisibleForTesting;
import org.apache.flink.cdc.connectors.base.config.JdbcSourceConfig;
import org.apache.flink.cdc.connectors.base.dialect.JdbcDataSourceDialect;
import org.apache.flink.cdc.connectors.base.source.assigner.state.ChunkSplitterState;
import org.apache.flink.cdc.connectors.base.source.meta.split.SnapshotSplit;
import org.apache.flink.cdc.connectors.postgres.source.PostgresChunkSplitter;

import io.debezium.jdbc.JdbcConnection;
import io.debezium.relational.Column;
import io.debezium.relational.TableId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigInteger;
import java.sql.SQLException;
import java.util.Collection;
import java.util.Collections;
import java.util.Objects;

/**
 * postgres-cdc's chunk splitter for tables that change while they are split; where it failed the
 * enumerator, and with it the job on every restart again, the splitting ends:
 *
 * <ul>
 *   <li>a captured table dropped: its chunks planned so far read no rows (see {@link
 *       SnapshotSplitScan});
 *   <li>rows at the table's end deleted (or a restored splitter position past the rows left): no
 *       next chunk end exists, so the chunk from the previous end on is the last, unbounded one
 *       (flink-cdc-base compared the missing end and failed with a NullPointerException).
 * </ul>
 *
 * <p>Threading: the enumerator's planning thread.
 */
@Internal
public final class ChangingTableChunkSplitter extends PostgresChunkSplitter {

    private static final Logger LOG = LoggerFactory.getLogger(ChangingTableChunkSplitter.class);

    /** The table whose splitting ended because it was dropped. */
    private volatile TableId dropped;

    public ChangingTableChunkSplitter(
            JdbcSourceConfig sourceConfig,
            JdbcDataSourceDialect dialect,
            ChunkSplitterState state) {
        super(sourceConfig, dialect, state);
    }

    @Override
    public Collection<SnapshotSplit> generateSplits(TableId tableId) throws Exception {
        try {
            return super.generateSplits(tableId);
        } catch (Exception e) {
            if (!TableAttributes.isUndefinedTable(e)) {
                throw e;
            }
            LOG.warn(
                    "Table {} was dropped while its snapshot was being planned; it is left out of"
                            + " the snapshot",
                    tableId);
            dropped = tableId;
            return Collections.emptyList();
        }
    }

    /**
     * A table never analysed has no row estimate ({@code reltuples} -1, or 0 before PostgreSQL 14),
     * which sends flink-cdc-base down its uneven path: a query per chunk and a 100 ms pause per
     * table. An integer key whose range fits in one chunk bounds the rows by that range, so such a
     * table is planned as one chunk (an even factor with an estimate within a chunk yields exactly
     * that); any other table keeps the base's decision.
     */
    @Override
    protected double calculateDistributionFactor(
            TableId tableId, Object min, Object max, long approximateRowCnt) {
        if (approximateRowCnt <= 0 && keysWithinOneChunk(min, max, sourceConfig.getSplitSize())) {
            return 1.0d;
        }
        return super.calculateDistributionFactor(tableId, min, max, approximateRowCnt);
    }

    @VisibleForTesting
    static boolean keysWithinOneChunk(Object min, Object max, int chunkSize) {
        if (!isIntegral(min) || !isIntegral(max)) {
            return false;
        }
        BigInteger keys =
                BigInteger.valueOf(((Number) max).longValue())
                        .subtract(BigInteger.valueOf(((Number) min).longValue()))
                        .add(BigInteger.ONE);
        return keys.compareTo(BigInteger.valueOf(chunkSize)) <= 0;
    }

    private static boolean isIntegral(Object value) {
        return value instanceof Integer || value instanceof Long || value instanceof Short;
    }

    /** A chunk end that no longer exists (no rows left after it) is past the table's maximum. */
    @Override
    protected boolean isChunkEndGeMax(
            JdbcConnection jdbc, Object chunkEnd, Object max, Column splitColumn)
            throws SQLException {
        return chunkEnd == null
                || max == null
                || super.isChunkEndGeMax(jdbc, chunkEnd, max, splitColumn);
    }

    /** ... and never within it; nor is any end of a table that was empty when it was analysed. */
    @Override
    protected boolean isChunkEndLeMax(
            JdbcConnection jdbc, Object chunkEnd, Object max, Column splitColumn)
            throws SQLException {
        return chunkEnd != null
                && max != null
                && super.isChunkEndLeMax(jdbc, chunkEnd, max, splitColumn);
    }

    @Override
    public boolean hasNextChunk() {
        return super.hasNextChunk() && !Objects.equals(getCurrentSplittingTableId(), dropped);
    }

    @Override
    public ChunkSplitterState snapshotState(long checkpointId) {
        return hasNextChunk() || getCurrentSplittingTableId() == null
                ? super.snapshotState(checkpointId)
                : ChunkSplitterState.NO_SPLITTING_TABLE_STATE;
    }
}
