package io.pgcdc.connector.fetch;

import org.apache.flink.cdc.connectors.base.config.JdbcSourceConfig;
import org.apache.flink.cdc.connectors.base.source.meta.split.SourceSplitBase;
import org.apache.flink.cdc.connectors.postgres.source.fetch.PostgresSourceFetchTaskContext;

import io.debezium.connector.postgresql.connection.ReplicationConnection;
import io.pgcdc.connector.resource.ResourceScope;

import java.time.Duration;

/**
 * The fetch-task context of one scan or stream fetcher. It owns a task scope; every split gets a
 * split scope inside it. The JDBC connection postgres-cdc opens for a split is registered in that
 * split's scope, so configuring the next split (or closing the context) closes it: upstream
 * overwrote it and leaked one connection, idle in transaction, per queued split. The replication
 * connection, created once per context, lives in the task scope.
 */
public class PgcdcFetchTaskContext extends PostgresSourceFetchTaskContext {

    /** A hung close (e.g. a dead server) is abandoned after this, so the task can go on. */
    static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

    private final ResourceScope taskScope;
    private ResourceScope splitScope;
    private ReplicationConnection registeredReplication;
    private int splitCount;

    public PgcdcFetchTaskContext(JdbcSourceConfig sourceConfig, PgcdcPostgresDialect dialect) {
        super(sourceConfig, dialect);
        this.taskScope = ResourceScope.root("fetch-task", CLOSE_TIMEOUT);
    }

    @Override
    public void configure(SourceSplitBase split) {
        closeSplitScope();
        splitScope = taskScope.child("split-" + (++splitCount));
        super.configure(split);
        splitScope.register("jdbc connection of " + split.splitId(), getConnection());
        ReplicationConnection replication = getReplicationConnection();
        if (replication != null && replication != registeredReplication) {
            taskScope.register("replication connection", replication);
            registeredReplication = replication;
        }
    }

    private void closeSplitScope() {
        if (splitScope != null) {
            try {
                splitScope.close();
            } catch (Exception e) {
                throw new IllegalStateException("Closing the previous split's resources failed", e);
            } finally {
                splitScope = null;
            }
        }
    }

    /** The scope of the split being read, for resources a fetch task opens for it. */
    public ResourceScope splitScope() {
        return splitScope;
    }

    /** Closes every split's and the task's resources; idempotent. */
    @Override
    public void close() throws Exception {
        splitScope = null;
        taskScope.close();
    }
}
