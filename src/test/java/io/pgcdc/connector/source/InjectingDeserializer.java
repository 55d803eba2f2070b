package io.pgcdc.connector.source;

import org.apache.flink.cdc.common.event.Event;
import org.apache.flink.util.Collector;

import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Our deserializer with a fault injected once, at the row with a given id (a marker file says it
 * happened, across task restarts):
 *
 * <ul>
 *   <li>{@link #failingOnce}: throws, so the task fails and restarts;
 *   <li>{@link #pausingOnce}: holds the task thread until a release file exists. Held, it stops
 *       taking records, the queues behind it fill and Debezium stops reading the replication
 *       stream: the job stays where it is, e.g. half-way through a transaction, while the test
 *       acts.
 * </ul>
 */
final class InjectingDeserializer extends PostgresEventDeserializer {

    private static final long serialVersionUID = 1L;
    private final long id;
    private final String marker;

    /** Null: fail; else the file whose existence ends the pause. */
    private final String release;

    private InjectingDeserializer(PostgresDataSource source, long id, Path marker, Path release) {
        super(
                source.settings().database(),
                source.settings().tableIdIncludeDatabase,
                source.settings().metadataColumns,
                source.settings().typeOptions,
                source.settings().schemaChangeEnabled);
        this.id = id;
        this.marker = marker.toString();
        this.release = release == null ? null : release.toString();
    }

    /**
     * A source of the data source's settings whose deserializer fails once, at the row with the id.
     */
    static PostgresPipelineSource failingOnce(PostgresDataSource source, long id, Path marker) {
        return sourceWith(source, new InjectingDeserializer(source, id, marker, null));
    }

    /**
     * A source of the data source's settings that pauses once, at the row with the id, until
     * released.
     */
    static PostgresPipelineSource pausingOnce(
            PostgresDataSource source, long id, Path paused, Path release) {
        return sourceWith(source, new InjectingDeserializer(source, id, paused, release));
    }

    private static PostgresPipelineSource sourceWith(
            PostgresDataSource source, PostgresEventDeserializer deserializer) {
        return new PostgresPipelineSource(
                source.configFactory(), deserializer, source.publication());
    }

    @Override
    public void deserialize(SourceRecord record, Collector<Event> out) {
        Object key = record.key() instanceof Struct ? ((Struct) record.key()).get("id") : null;
        if (key instanceof Number && ((Number) key).longValue() == id && firstTime()) {
            if (release == null) {
                throw new IllegalStateException("injected deserializer failure on id " + id);
            }
            try {
                while (!Files.exists(Path.of(release))) {
                    Thread.sleep(20); // polls for the test's release: the condition it waits on
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("The pause at id " + id + " was interrupted", e);
            }
        }
        super.deserialize(record, out);
    }

    private boolean firstTime() {
        try {
            Files.createFile(Path.of(marker));
            return true;
        } catch (FileAlreadyExistsException e) {
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
