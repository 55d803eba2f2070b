package io.pgcdc.connector.fetch;

import org.apache.flink.cdc.connectors.base.config.JdbcSourceConfig;
import org.apache.flink.cdc.connectors.base.dialect.JdbcDataSourceDialect;
import org.apache.flink.cdc.connectors.base.source.assigner.state.ChunkSplitterState;
import org.apache.flink.cdc.connectors.base.source.meta.split.SnapshotSplit;
import org.apache.flink.cdc.connectors.postgres.source.PostgresChunkSplitter;

import io.debezium.relational.TableId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collection;
import java.util.Collections;
import java.util.Objects;

/**
 * postgres-cdc's chunk splitter, except that a captured table dropped while the enumerator splits
 * it ends its splitting instead of failing the enumerator, and with it the job, on every restart
 * again. The table's chunks planned so far read no rows (see {@link SnapshotSplitScan}).
 */
final class DroppedTableTolerantChunkSplitter extends PostgresChunkSplitter {

    private static final Logger LOG = LoggerFactory.getLogger(DroppedTableTolerantChunkSplitter.class);

    /** The table whose splitting ended because it was dropped. */
    private volatile TableId dropped;

    DroppedTableTolerantChunkSplitter(
            JdbcSourceConfig sourceConfig, JdbcDataSourceDialect dialect, ChunkSplitterState state) {
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
            LOG.warn("Table {} was dropped while its snapshot was being planned; it is left out of the snapshot", tableId);
            dropped = tableId;
            return Collections.emptyList();
        }
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
