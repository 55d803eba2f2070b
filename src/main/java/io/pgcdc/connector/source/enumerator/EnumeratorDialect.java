package io.pgcdc.connector.source.enumerator;

import org.apache.flink.cdc.connectors.base.config.JdbcSourceConfig;
import org.apache.flink.cdc.connectors.base.source.assigner.splitter.ChunkSplitter;
import org.apache.flink.cdc.connectors.base.source.assigner.state.ChunkSplitterState;
import org.apache.flink.cdc.connectors.base.source.meta.split.SourceSplitBase;
import org.apache.flink.cdc.connectors.base.source.reader.external.FetchTask;
import org.apache.flink.cdc.connectors.base.source.reader.external.JdbcSourceFetchTaskContext;
import org.apache.flink.cdc.connectors.postgres.source.PostgresDialect;
import org.apache.flink.cdc.connectors.postgres.source.config.PostgresSourceConfig;

import io.debezium.connector.postgresql.connection.PostgresConnection;
import io.debezium.jdbc.JdbcConnection;
import io.debezium.relational.TableId;
import io.debezium.relational.history.TableChanges.TableChange;
import io.pgcdc.connector.fetch.ChangingTableChunkSplitter;

import java.util.List;

/**
 * postgres-cdc's dialect as the enumerator's split assigners and chunk splitter use it: every
 * connection they ask for is a handle on the enumerator's one connection ({@link
 * EnumeratorConnections}), and closing the dialect, which the assigners do, closes nothing: the
 * enumerator owns the connection and closes it. Lives on the job manager only; it runs no fetch
 * task.
 *
 * <p>Threading: the coordinator thread and the planning thread; each gets its own handle on the
 * shared connection.
 */
final class EnumeratorDialect extends PostgresDialect {

    private static final long serialVersionUID = 1L;

    private final transient EnumeratorConnections connections;
    private final transient BatchedSchemaReader schemas;

    EnumeratorDialect(PostgresSourceConfig config, EnumeratorConnections connections) {
        super(config);
        this.connections = connections;
        this.schemas = new BatchedSchemaReader(config.getDatabaseList().get(0));
    }

    /** A table's schema for the chunk splitter, read in batches ({@link BatchedSchemaReader}). */
    @Override
    public TableChange queryTableSchema(JdbcConnection jdbc, TableId tableId) {
        return schemas.schemaOf((PostgresConnection) jdbc, tableId);
    }

    /** The tables the snapshot planner asks for next, in order: read with the next miss. */
    void readAhead(List<TableId> tables) {
        schemas.readAhead(tables);
    }

    @Override
    public JdbcConnection openJdbcConnection(JdbcSourceConfig sourceConfig) {
        return connections.handle();
    }

    @Override
    public ChunkSplitter createChunkSplitter(JdbcSourceConfig sourceConfig) {
        return createChunkSplitter(sourceConfig, ChunkSplitterState.NO_SPLITTING_TABLE_STATE);
    }

    @Override
    public ChunkSplitter createChunkSplitter(
            JdbcSourceConfig sourceConfig, ChunkSplitterState state) {
        return new ChangingTableChunkSplitter(sourceConfig, this, state);
    }

    @Override
    public JdbcSourceFetchTaskContext createFetchTaskContext(JdbcSourceConfig taskSourceConfig) {
        throw new UnsupportedOperationException(
                "Fetch tasks run on the readers, not on the enumerator");
    }

    @Override
    public FetchTask<SourceSplitBase> createFetchTask(SourceSplitBase split) {
        throw new UnsupportedOperationException(
                "Fetch tasks run on the readers, not on the enumerator");
    }

    @Override
    public boolean removeSlot(String slotName) {
        throw new UnsupportedOperationException("The enumerator never drops the job's slot");
    }

    /**
     * The enumerator closes its connections itself; assigners closing the dialect close nothing.
     */
    @Override
    public void close() {}
}
