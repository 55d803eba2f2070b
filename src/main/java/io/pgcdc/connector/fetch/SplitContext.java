package io.pgcdc.connector.fetch;

import org.apache.flink.cdc.connectors.postgres.source.fetch.CDCPostgresDispatcher;

import io.debezium.connector.base.ChangeEventQueue;
import io.debezium.connector.postgresql.PostgresOffsetContext;
import io.debezium.connector.postgresql.PostgresPartition;
import io.debezium.connector.postgresql.PostgresSchema;
import io.debezium.connector.postgresql.PostgresTaskContext;
import io.debezium.connector.postgresql.connection.PostgresConnection;
import io.debezium.connector.postgresql.spi.Snapshotter;
import io.debezium.pipeline.DataChangeEvent;
import io.debezium.pipeline.ErrorHandler;
import io.debezium.pipeline.metrics.SnapshotChangeEventSourceMetrics;

import javax.annotation.concurrent.Immutable;

/**
 * Debezium's machinery for one split, built when the split is configured and replaced as a whole by
 * the next: the reader's connection, the schema, offset, partition, queue, dispatcher and metrics
 * the split's fetch task reads with. It owns nothing; what the split opens belongs to its {@link
 * SplitResources}.
 */
@Immutable
final class SplitContext {

    final Snapshotter snapshotter;
    final PostgresConnection jdbc;
    final PostgresSchema schema;
    final PostgresOffsetContext offsetContext;
    final PostgresPartition partition;
    final PostgresTaskContext taskContext;
    final ChangeEventQueue<DataChangeEvent> queue;
    final ErrorHandler errorHandler;
    final CDCPostgresDispatcher dispatcher;
    final SnapshotChangeEventSourceMetrics<PostgresPartition> snapshotMetrics;

    SplitContext(
            Snapshotter snapshotter,
            PostgresConnection jdbc,
            PostgresSchema schema,
            PostgresOffsetContext offsetContext,
            PostgresPartition partition,
            PostgresTaskContext taskContext,
            ChangeEventQueue<DataChangeEvent> queue,
            ErrorHandler errorHandler,
            CDCPostgresDispatcher dispatcher,
            SnapshotChangeEventSourceMetrics<PostgresPartition> snapshotMetrics) {
        this.snapshotter = snapshotter;
        this.jdbc = jdbc;
        this.schema = schema;
        this.offsetContext = offsetContext;
        this.partition = partition;
        this.taskContext = taskContext;
        this.queue = queue;
        this.errorHandler = errorHandler;
        this.dispatcher = dispatcher;
        this.snapshotMetrics = snapshotMetrics;
    }
}
