package io.pgcdc.connector.source;

import org.apache.flink.cdc.common.source.SupportedMetadataColumn;

import io.pgcdc.connector.testbed.PipelineJob;
import io.pgcdc.connector.testbed.PostgresExtension;
import io.pgcdc.connector.testbed.SourceConfigs;
import io.pgcdc.connector.testbed.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * metadata.list: op_ts (commit time; 0 for snapshot rows), table_name, database_name, schema_name,
 * row_kind.
 */
@ExtendWith(PostgresExtension.class)
class MetadataColumnsITCase {

    @Test
    void metadataOfSnapshotAndStreamedRows(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE t (id INT PRIMARY KEY)", "INSERT INTO t VALUES (1)");
        Map<String, String> options = SourceConfigs.connection(db, db.name() + ".public.t");
        options.put("metadata.list", "op_ts,table_name,database_name,schema_name");
        options.put("table-id.include-database", "true");
        PostgresDataSource source = (PostgresDataSource) SourceConfigs.create(options);
        assertThat(supportedMetadataColumns(source))
                .containsExactlyInAnyOrder(
                        "op_ts", "table_name", "database_name", "schema_name", "row_kind");

        try (PipelineJob job = PipelineJob.start(source.createSource(), 1)) {
            job.awaitStreaming(db);
            long before =
                    db.queryLong("SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint");
            db.execute("INSERT INTO t VALUES (2)");
            long after =
                    db.queryLong("SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint");
            job.await("streamed row", Duration.ofMinutes(1), log -> log.dataCount() >= 2);

            assertThat(job.log().dataLines())
                    .containsExactly(
                            "+I " + db.name() + ".public.t[1]", "+I " + db.name() + ".public.t[2]");
            List<Map<String, String>> meta = job.log().metadata();
            assertThat(meta.get(0))
                    .containsEntry("op_ts", "0")
                    .containsEntry("table_name", "t")
                    .containsEntry("database_name", db.name())
                    .containsEntry("schema_name", "public");
            assertThat(meta.get(1))
                    .containsEntry("table_name", "t")
                    .containsEntry("database_name", db.name())
                    .containsEntry("schema_name", "public");
            assertThat(Long.parseLong(meta.get(1).get("op_ts")))
                    .as("commit time of the insert, ms")
                    .isBetween(before - 1000, after + 1000);
        }
    }

    /** row_kind, which upstream 3.5 accepted: the change's kind, +I for snapshot rows. */
    @Test
    void rowKindOfEachChange(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE t (id INT PRIMARY KEY, v TEXT)", "INSERT INTO t VALUES (1, 'a')");
        Map<String, String> options = SourceConfigs.connection(db, db.name() + ".public.t");
        options.put("metadata.list", "row_kind");
        PostgresDataSource source = (PostgresDataSource) SourceConfigs.create(options);
        assertThat(supportedMetadataColumns(source)).contains("row_kind");

        try (PipelineJob job = PipelineJob.start(source.createSource(), 1)) {
            job.awaitStreaming(db);
            db.execute(
                    "INSERT INTO t VALUES (2, 'b')",
                    "UPDATE t SET v = 'c' WHERE id = 2",
                    "DELETE FROM t WHERE id = 1");
            job.await("three changes", Duration.ofMinutes(1), log -> log.dataCount() >= 4);
            assertThat(
                            job.log().metadata().stream()
                                    .map(m -> m.get("row_kind"))
                                    .collect(Collectors.toList()))
                    .containsExactly("+I", "+I", "+U", "-D");
        }
    }

    private static List<String> supportedMetadataColumns(PostgresDataSource source) {
        return Arrays.stream(source.supportedMetadataColumns())
                .map(SupportedMetadataColumn::getName)
                .collect(Collectors.toList());
    }
}
