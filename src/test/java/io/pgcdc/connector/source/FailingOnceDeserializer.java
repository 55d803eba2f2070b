package io.pgcdc.connector.source;

import org.apache.flink.cdc.common.event.Event;
import org.apache.flink.util.Collector;

import io.pgcdc.connector.fetch.PgcdcPostgresDialect;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Throws once, the first time the row with the given id is deserialized (marker file). */
final class FailingOnceDeserializer extends PostgresEventDeserializer {

    /** A source of the data source's settings whose deserializer fails once, on the row with the id. */
    static PostgresPipelineSource sourceFailingOnce(PostgresDataSource source, int failOnId, Path marker) {
        return new PostgresPipelineSource(
                source.configFactory(),
                new FailingOnceDeserializer(source, failOnId, marker.toString()),
                new PgcdcPostgresDialect(source.configFactory().create(0), source.settings().publication()));
    }

    private static final long serialVersionUID = 1L;
    private final int failOnId;
    private final String marker;

    FailingOnceDeserializer(PostgresDataSource source, int failOnId, String marker) {
        super(
                source.settings().database(),
                source.settings().tableIdIncludeDatabase,
                source.settings().metadataColumns,
                source.settings().typeOptions,
                source.settings().schemaChangeEnabled);
        this.failOnId = failOnId;
        this.marker = marker;
    }

    @Override
    public void deserialize(SourceRecord record, Collector<Event> out) {
        if (record.key() instanceof Struct
                && ((Struct) record.key()).get("id") instanceof Number
                && ((Number) ((Struct) record.key()).get("id")).longValue() == failOnId
                && firstTime()) {
            throw new IllegalStateException("injected deserializer failure on id " + failOnId);
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
