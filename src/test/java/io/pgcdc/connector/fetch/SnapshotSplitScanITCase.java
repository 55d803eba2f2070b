package io.pgcdc.connector.fetch;

import io.pgcdc.connector.source.PostgresDataSource;
import io.pgcdc.connector.testbed.PipelineJob;
import io.pgcdc.connector.testbed.PostgresExtension;
import io.pgcdc.connector.testbed.SourceConfigs;
import io.pgcdc.connector.testbed.TestDatabase;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Our snapshot scan builds its own split queries. Whatever the split key's type, every row must
 * arrive exactly once with its values: splits are contiguous and disjoint, as upstream's are.
 */
@ExtendWith(PostgresExtension.class)
class SnapshotSplitScanITCase {

    private static final int ROWS = 300;

    @ParameterizedTest(name = "split key {0}")
    @ValueSource(strings = {"uuid", "composite", "text", "numeric"})
    void everyRowArrivesOnceWithItsValues(String key, TestDatabase db) throws Exception {
        switch (key) {
            case "uuid":
                db.execute(
                        "CREATE TABLE t (k UUID PRIMARY KEY, v TEXT)",
                        "INSERT INTO t SELECT md5(i::text)::uuid, 'v' || i FROM generate_series(1, "
                                + ROWS
                                + ") i");
                break;
            case "composite": // chunked on the first key column, which repeats
                db.execute(
                        "CREATE TABLE t (region INT, id INT, v TEXT, PRIMARY KEY (region, id))",
                        "INSERT INTO t SELECT i % 7, i, 'v' || i FROM generate_series(1, "
                                + ROWS
                                + ") i");
                break;
            case "text":
                db.execute(
                        "CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT)",
                        "INSERT INTO t SELECT 'key-' || i, 'v' || i FROM generate_series(1, "
                                + ROWS
                                + ") i");
                break;
            default:
                db.execute(
                        "CREATE TABLE t (k NUMERIC(10,2) PRIMARY KEY, v TEXT)",
                        "INSERT INTO t SELECT i / 4.0, 'v' || i FROM generate_series(1, "
                                + ROWS
                                + ") i");
                break;
        }
        Map<String, String> options = SourceConfigs.connection(db, db.name() + ".public.t");
        options.put("scan.incremental.snapshot.chunk.size", "16");
        PostgresDataSource source = (PostgresDataSource) SourceConfigs.create(options);
        List<String> expected = new ArrayList<>();
        for (List<String> row : db.query("SELECT v FROM t")) {
            expected.add(row.get(0));
        }
        try (PipelineJob job = PipelineJob.start(source.createSource(), 2)) {
            job.await("all rows", Duration.ofMinutes(2), log -> log.dataCount() >= ROWS);
            List<String> values = new ArrayList<>();
            for (String line : job.log().dataLines()) {
                assertThat(line).startsWith("+I public.t[");
                values.add(line.substring(line.lastIndexOf(", ") + 2, line.length() - 1));
            }
            assertThat(values)
                    .as("each row's value, once")
                    .containsExactlyInAnyOrderElementsOf(expected);
        }
    }
}
