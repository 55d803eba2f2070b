package io.pgcdc.connector.source;

import org.apache.flink.table.api.ValidationException;

import io.pgcdc.connector.testbed.PipelineJob;
import io.pgcdc.connector.testbed.PostgresExtension;
import io.pgcdc.connector.testbed.SourceConfigs;
import io.pgcdc.connector.testbed.TestDatabase;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * publication.name / publication.autocreate.mode, and partitioned tables captured through their
 * root.
 */
@Tag("core")
@ExtendWith(PostgresExtension.class)
class PublicationITCase {

    @Test
    void filteredPublicationGetsNewlyCapturedTablesAndLosesNone(TestDatabase db) throws Exception {
        db.execute(
                "CREATE TABLE a (id INT PRIMARY KEY)",
                "CREATE TABLE b (id INT PRIMARY KEY)",
                "CREATE TABLE c (id INT PRIMARY KEY)");
        Map<String, String> options = SourceConfigs.connection(db, db.name() + ".public.a");
        options.put("publication.name", "jobs_pub");
        options.put("publication.autocreate.mode", "filtered");
        try (PipelineJob job = PipelineJob.start(source(options), 1)) {
            awaitStreaming(db);
            assertThat(publishedTables(db)).containsExactly("public.a");
            db.execute("INSERT INTO a VALUES (1)");
            job.await(
                    "row of a",
                    Duration.ofMinutes(1),
                    log -> log.dataLines().contains("+I public.a[1]"));
        }
        db.execute("ALTER PUBLICATION jobs_pub ADD TABLE c"); // someone else's table in the
        // publication

        options.put("tables", db.name() + ".public.a," + db.name() + ".public.b");
        options.put("scan.startup.mode", "latest-offset");
        try (PipelineJob job = PipelineJob.start(source(options), 1)) {
            awaitStreaming(db);
            assertThat(publishedTables(db))
                    .as("b added, c kept")
                    .containsExactly("public.a", "public.b", "public.c");
            db.execute("INSERT INTO b VALUES (2)");
            job.await(
                    "row of the newly captured b",
                    Duration.ofMinutes(1),
                    log -> log.dataLines().contains("+I public.b[2]"));
        }
    }

    @Test
    void disabledModeNeedsAnExistingPublication(TestDatabase db) {
        db.execute("CREATE TABLE a (id INT PRIMARY KEY)");
        Map<String, String> options = SourceConfigs.connection(db, db.name() + ".public.a");
        options.put("publication.autocreate.mode", "disabled");
        assertThatThrownBy(() -> SourceConfigs.create(options))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("publication 'dbz_publication' does not exist")
                .hasMessageContaining("'publication.autocreate.mode' is 'disabled'");
        db.execute("CREATE PUBLICATION dbz_publication FOR TABLE a");
        assertThat(SourceConfigs.create(options)).isNotNull();
    }

    @Test
    void partitionedTableIsCapturedThroughItsRoot(TestDatabase db) throws Exception {
        db.execute(
                "CREATE TABLE m (id INT, region TEXT, PRIMARY KEY (id, region)) PARTITION BY LIST"
                        + " (region)",
                "CREATE TABLE m_eu PARTITION OF m FOR VALUES IN ('eu')",
                "CREATE TABLE m_us PARTITION OF m FOR VALUES IN ('us')",
                "INSERT INTO m SELECT i, CASE WHEN i % 2 = 0 THEN 'eu' ELSE 'us' END FROM"
                        + " generate_series(1, 40) i");
        Map<String, String> options = SourceConfigs.connection(db, db.name() + ".public.m\\.*");
        options.put("scan.include-partitioned-tables.enabled", "true");
        options.put("scan.incremental.snapshot.chunk.size", "10");
        if (db.serverVersionNum() < 130000) {
            // publish_via_partition_root came with 13: the startup checks refuse the option before
            assertThatThrownBy(() -> SourceConfigs.create(options))
                    .hasMessageContaining(
                            "'scan.include-partitioned-tables.enabled' needs PostgreSQL 13");
            return;
        }
        PostgresDataSource source = (PostgresDataSource) SourceConfigs.create(options);
        List<String> captured = new ArrayList<>();
        source.capturedTables().forEach(t -> captured.add(t[0] + "." + t[1]));
        assertThat(captured).as("the root, not its partitions").containsExactly("public.m");
        try (PipelineJob job = PipelineJob.start(source.createSource(), 2)) {
            job.await("snapshot", Duration.ofMinutes(2), log -> log.dataCount() >= 40);
            awaitStreaming(db);
            db.execute(
                    "INSERT INTO m VALUES (41, 'us'), (42, 'eu')",
                    "UPDATE m SET id = 100 WHERE id = 1");
            job.await("streamed rows", Duration.ofMinutes(1), log -> log.dataCount() >= 44);
            List<String> lines = job.log().dataLines();
            assertThat(lines)
                    .allMatch(
                            l -> l.substring(3).startsWith("public.m["),
                            "every row under the root's id");
            // a key update arrives as Debezium emits it: delete of the old key, insert of the new
            assertThat(lines)
                    .contains(
                            "+I public.m[41, us]",
                            "+I public.m[42, eu]",
                            "-D public.m[1, us]",
                            "+I public.m[100, us]");
            assertThat(job.log().lines())
                    .filteredOn(l -> l.startsWith("CREATE"))
                    .allMatch(
                            l -> l.startsWith("CREATE public.m columns="),
                            "only the root is announced");
        }
        assertThat(
                        db.queryLong(
                                "SELECT count(*) FROM pg_publication WHERE pubname ="
                                        + " 'dbz_publication' AND pubviaroot"))
                .isEqualTo(1);
    }

    private static void awaitStreaming(TestDatabase db) {
        assertThat(TestDatabase.await(Duration.ofMinutes(1), () -> db.globalSlotReader() != null))
                .as("the stream reads the slot")
                .isTrue();
    }

    private static List<String> publishedTables(TestDatabase db) {
        List<String> tables = new ArrayList<>();
        for (List<String> row :
                db.query(
                        "SELECT schemaname || '.' || tablename FROM pg_publication_tables"
                                + " WHERE pubname = 'jobs_pub' ORDER BY 1")) {
            tables.add(row.get(0));
        }
        return tables;
    }

    private static PostgresPipelineSource source(Map<String, String> options) {
        return ((PostgresDataSource) SourceConfigs.create(options)).createSource();
    }
}
