package io.pgcdc.connector.source;

import io.pgcdc.connector.testbed.EventLog;
import io.pgcdc.connector.testbed.PipelineJob;
import io.pgcdc.connector.testbed.PostgresExtension;
import io.pgcdc.connector.testbed.SourceConfigs;
import io.pgcdc.connector.testbed.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The startup modes: where each starts reading, and what each leaves on the database. */
@ExtendWith(PostgresExtension.class)
class StartupModesITCase {

    @Test
    void snapshotModeReadsEveryRowOnceEndsAndDropsItsSlot(TestDatabase db) throws Exception {
        db.execute(
                "CREATE TABLE t (id INT PRIMARY KEY, v TEXT)",
                "INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, 100) i");
        Map<String, String> options = options(db, "snapshot");
        options.put("scan.incremental.snapshot.chunk.size", "20");
        try (PipelineJob job = PipelineJob.start(source(options), 2)) {
            job.awaitFinished(Duration.ofMinutes(2)); // bounded: the job ends by itself
            assertThat(job.log().dataLines()).hasSize(100);
            assertThat(ids(job.log())).isEqualTo(range(1, 100));
        }
        TestDatabase.await(
                Duration.ofSeconds(10),
                () -> db.slots().isEmpty() && db.connectorSessions().isEmpty());
        assertThat(db.slots())
                .as("slots after the bounded job ended (upstream leaves its slot)")
                .isEmpty();
        assertThat(db.connectorSessions()).as("sessions after the job ended").isEmpty();
    }

    @Test
    void latestOffsetReadsOnlyWhatIsWrittenAfterTheStart(TestDatabase db) throws Exception {
        db.execute(
                "CREATE TABLE t (id INT PRIMARY KEY, v TEXT)",
                "INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, 10) i");
        try (PipelineJob job = PipelineJob.start(source(options(db, "latest-offset")), 1)) {
            assertThat(
                            TestDatabase.await(
                                    Duration.ofMinutes(1), () -> db.globalSlotReader() != null))
                    .as("the stream reads the slot")
                    .isTrue();
            db.execute("INSERT INTO t SELECT i, 'v' || i FROM generate_series(11, 15) i");
            job.await("the new rows", Duration.ofMinutes(1), log -> ids(log).size() >= 5);
            assertThat(ids(job.log())).isEqualTo(range(11, 15));
        }
    }

    @Test
    void committedOffsetResumesFromTheSlotWithoutASnapshot(TestDatabase db) throws Exception {
        db.execute(
                "CREATE TABLE t (id INT PRIMARY KEY, v TEXT)",
                "INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, 10) i",
                "CREATE PUBLICATION dbz_publication FOR TABLE t",
                "SELECT pg_create_logical_replication_slot('" + db.slotName() + "', 'pgoutput')",
                // written while no job runs: the slot keeps them
                "INSERT INTO t SELECT i, 'v' || i FROM generate_series(11, 15) i");
        try (PipelineJob job = PipelineJob.start(source(options(db, "committed-offset")), 1)) {
            job.await("the rows the slot kept", Duration.ofMinutes(1), log -> ids(log).size() >= 5);
            db.execute("INSERT INTO t VALUES (16, 'v16')");
            job.await(
                    "a row written while streaming",
                    Duration.ofMinutes(1),
                    log -> ids(log).contains(16));
            assertThat(ids(job.log())).as("no snapshot of rows 1-10").isEqualTo(range(11, 16));
        }
    }

    private static Map<String, String> options(TestDatabase db, String mode) {
        Map<String, String> options = SourceConfigs.connection(db, db.name() + ".public.t");
        options.put("scan.startup.mode", mode);
        return options;
    }

    private static PostgresPipelineSource source(Map<String, String> options) {
        return ((PostgresDataSource) SourceConfigs.create(options)).createSource();
    }

    private static Set<Integer> ids(EventLog log) {
        Set<Integer> ids = new TreeSet<>();
        for (String line : log.dataLines()) {
            ids.add(Integer.parseInt(line.substring(line.indexOf('[') + 1, line.indexOf(','))));
        }
        return ids;
    }

    private static Set<Integer> range(int from, int to) {
        return IntStream.rangeClosed(from, to)
                .boxed()
                .collect(Collectors.toCollection(TreeSet::new));
    }
}
