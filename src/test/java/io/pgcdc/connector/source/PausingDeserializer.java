package io.pgcdc.connector.source;

import org.apache.flink.cdc.common.event.Event;
import org.apache.flink.util.Collector;

import io.pgcdc.connector.fetch.PgcdcPostgresDialect;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Holds the task thread at the row with the given id until a release file exists, once (a marker
 * file says it paused). Held, the task thread stops taking records, the queues behind it fill and
 * Debezium stops reading the replication stream: the job stays where it is, e.g. half-way through
 * a transaction, while the test acts.
 */
final class PausingDeserializer extends PostgresEventDeserializer {

    private static final long serialVersionUID = 1L;
    private final long pauseOnId;
    private final String pausedMarker;
    private final String release;

    private PausingDeserializer(PostgresDataSource source, long pauseOnId, Path pausedMarker, Path release) {
        super(
                source.settings().database(),
                source.settings().tableIdIncludeDatabase,
                source.settings().metadataColumns,
                source.settings().typeOptions,
                source.settings().schemaChangeEnabled);
        this.pauseOnId = pauseOnId;
        this.pausedMarker = pausedMarker.toString();
        this.release = release.toString();
    }

    /** A source of the data source's settings that pauses once, at the row with the id. */
    static PostgresPipelineSource sourcePausingOnce(PostgresDataSource source, long id, Path paused, Path release) {
        return new PostgresPipelineSource(
                source.configFactory(),
                new PausingDeserializer(source, id, paused, release),
                new PgcdcPostgresDialect(source.configFactory().create(0), source.settings().publication()));
    }

    @Override
    public void deserialize(SourceRecord record, Collector<Event> out) {
        Object id = record.key() instanceof Struct ? ((Struct) record.key()).get("id") : null;
        if (id instanceof Number && ((Number) id).longValue() == pauseOnId && !Files.exists(Path.of(pausedMarker))) {
            try {
                Files.createFile(Path.of(pausedMarker));
                while (!Files.exists(Path.of(release))) {
                    Thread.sleep(20); // polls for the test's release: the condition it waits on
                }
            } catch (Exception e) {
                throw new IllegalStateException("The pause at id " + pauseOnId + " failed", e);
            }
        }
        super.deserialize(record, out);
    }
}
