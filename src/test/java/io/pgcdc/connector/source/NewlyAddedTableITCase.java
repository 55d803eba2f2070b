package io.pgcdc.connector.source;

import io.pgcdc.connector.testbed.LogCapture;
import io.pgcdc.connector.testbed.PipelineJob;
import io.pgcdc.connector.testbed.PostgresExtension;
import io.pgcdc.connector.testbed.SourceConfigs;
import io.pgcdc.connector.testbed.TestDatabase;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * scan.newly-added-table.enabled: after a restore with a wider 'tables', the new table is
 * snapshotted and then streamed, and the tables read before are not read again.
 */
@ExtendWith(PostgresExtension.class)
class NewlyAddedTableITCase {

    @Test
    void aTableAddedOnRestoreIsSnapshottedThenStreamed(TestDatabase db, @TempDir Path savepoints)
            throws Exception {
        db.execute(
                "CREATE TABLE a (id INT PRIMARY KEY)",
                "INSERT INTO a SELECT generate_series(1, 30)",
                "CREATE TABLE b (id INT PRIMARY KEY)",
                "INSERT INTO b SELECT generate_series(1, 50)");
        Map<String, String> options = SourceConfigs.connection(db, db.name() + ".public.a");
        options.put("scan.newly-added-table.enabled", "true");
        options.put("publication.autocreate.mode", "filtered");
        options.put("scan.incremental.snapshot.chunk.size", "10");
        String savepoint;
        try (PipelineJob job = PipelineJob.start(source(options), 1)) {
            job.await("a's snapshot", Duration.ofMinutes(1), log -> log.dataCount() >= 30);
            assertThat(
                            TestDatabase.await(
                                    Duration.ofMinutes(1), () -> db.globalSlotReader() != null))
                    .isTrue();
            db.execute("INSERT INTO a VALUES (31)");
            job.await(
                    "a streamed row",
                    Duration.ofMinutes(1),
                    log -> log.dataLines().contains("+I public.a[31]"));
            savepoint = job.stopWithSavepoint(savepoints);
        }
        db.execute("INSERT INTO a VALUES (32)", "INSERT INTO b VALUES (51)"); // while no job runs

        options.put("tables", db.name() + ".public.a," + db.name() + ".public.b");
        try (LogCapture errors = LogCapture.atLeast(Level.ERROR);
                PipelineJob job =
                        PipelineJob.start(
                                source(options), 1, PipelineJob.restoringFrom(savepoint))) {
            // b has 6 splits; upstream's enumerator held each back for up to 30 s (its reader sync)
            job.await(
                    "b's snapshot and a's missed row",
                    Duration.ofMinutes(1),
                    log ->
                            rows(log.dataLines(), "b").size() >= 51
                                    && log.dataLines().contains("+I public.a[32]"));
            assertThat(
                            TestDatabase.await(
                                    Duration.ofMinutes(1), () -> db.globalSlotReader() != null))
                    .isTrue();
            db.execute("INSERT INTO b VALUES (52)");
            job.await(
                    "b streamed",
                    Duration.ofMinutes(1),
                    log -> log.dataLines().contains("+I public.b[52]"));
            List<String> lines = job.log().dataLines();
            assertThat(rows(lines, "b"))
                    .as("b: snapshot (51 rows) then stream, each once")
                    .hasSize(52)
                    .doesNotHaveDuplicates();
            assertThat(rows(lines, "a"))
                    .as("a is not read again")
                    .containsExactly("+I public.a[32]");
            // each switch from the stream to a new split stops the stream before closing its
            // connection
            assertThat(errors.text()).as("errors logged").isEmpty();
        }
    }

    private static List<String> rows(List<String> lines, String table) {
        return lines.stream()
                .filter(l -> l.startsWith("+I public." + table + "["))
                .collect(Collectors.toList());
    }

    private static PostgresPipelineSource source(Map<String, String> options) {
        return ((PostgresDataSource) SourceConfigs.create(options)).createSource();
    }
}
