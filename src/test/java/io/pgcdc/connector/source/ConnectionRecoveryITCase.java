package io.pgcdc.connector.source;

import io.pgcdc.connector.testbed.ConnectionSampler;
import io.pgcdc.connector.testbed.PipelineJob;
import io.pgcdc.connector.testbed.PostgresExtension;
import io.pgcdc.connector.testbed.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 3, scenarios 3, 4 and 5: restore at a lower parallelism (one reader holding several
 * snapshot splits), cancellation mid-snapshot and mid-stream, and task failures mid-snapshot. After
 * each, connections stay bounded, no session is idle in transaction, every key arrives and nothing
 * but the user's slot is left.
 */
@ExtendWith(PostgresExtension.class)
class ConnectionRecoveryITCase {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionRecoveryITCase.class);

    private static final Duration TIMEOUT = Duration.ofMinutes(3);

    @Test
    void restoreFromParallelismFourAtParallelismOne(TestDatabase db, @TempDir Path savepoints)
            throws Exception {
        // big enough that the snapshot is still running when the savepoint completes: with 500
        // splits it sometimes was not (all rows read within the second the savepoint took)
        SnapshotTable table = SnapshotTable.create(db, 2000);
        PostgresDataSource source = table.source(false);
        String savepoint;
        Set<Integer> beforeSavepoint;
        try (PipelineJob job = PipelineJob.start(source.createSource(), 4)) {
            job.await(
                    "a part of the snapshot",
                    TIMEOUT,
                    log -> SnapshotTable.ids(log).size() >= 1500);
            savepoint = job.stopWithSavepoint(savepoints);
            beforeSavepoint = SnapshotTable.ids(job.log());
        }
        LOG.info(
                String.format(
                        "rows read before the savepoint: %d of %d",
                        beforeSavepoint.size(), table.rows));
        assertThat(beforeSavepoint.size())
                .as("rows read before the savepoint")
                .isLessThan(table.rows);
        assertThat(
                        TestDatabase.await(
                                SnapshotTable.CLEANUP_DEADLINE,
                                () -> db.connectorSessions().isEmpty()))
                .as("sessions after stop-with-savepoint: %s", db.connectorSessions())
                .isTrue();

        try (ConnectionSampler sampler = new ConnectionSampler(db);
                PipelineJob restored =
                        PipelineJob.start(
                                source.createSource(), 1, PipelineJob.restoringFrom(savepoint))) {
            restored.await(
                    "every key across both runs",
                    TIMEOUT,
                    log -> union(beforeSavepoint, SnapshotTable.ids(log)).size() == table.rows);
            LOG.info(String.format("restored at p=1 from a p=4 savepoint -> %s", sampler));
            assertThat(sampler.peak())
                    .as("peak sessions of the restored job (%s)", sampler)
                    .isLessThanOrEqualTo(4);
            assertThat(sampler.stuckInTransaction()).as("idle in transaction").isEmpty();
            table.cancelAndAssertNothingLeft(restored);
        }
    }

    @ParameterizedTest(name = "backfill {0}")
    @ValueSource(booleans = {false, true})
    void cancelMidSnapshotLeavesNothing(boolean backfill, TestDatabase db) throws Exception {
        SnapshotTable table = SnapshotTable.create(db, 500);
        try (PipelineJob job = PipelineJob.start(table.source(backfill).createSource(), 2)) {
            job.await(
                    "a part of the snapshot",
                    TIMEOUT,
                    log -> SnapshotTable.ids(log).size() >= 1000);
            assertThat(SnapshotTable.ids(job.log()).size())
                    .as("rows read before cancelling")
                    .isLessThan(table.rows);
            table.cancelAndAssertNothingLeft(job);
        }
    }

    @Test
    void cancelMidStreamLeavesNothing(TestDatabase db) throws Exception {
        SnapshotTable table = SnapshotTable.create(db, 5);
        try (PipelineJob job = PipelineJob.start(table.source(true).createSource(), 2)) {
            table.awaitSnapshot(job);
            db.execute("INSERT INTO items VALUES (100001, 'streamed')");
            job.await("the streamed row", TIMEOUT, log -> SnapshotTable.ids(log).contains(100001));
            table.cancelAndAssertNothingLeft(job);
        }
    }

    @ParameterizedTest(name = "backfill {0}")
    @ValueSource(booleans = {false, true})
    void terminatedSnapshotBackendIsRecovered(boolean backfill, TestDatabase db) throws Exception {
        SnapshotTable table = SnapshotTable.create(db, 500);
        try (ConnectionSampler sampler = new ConnectionSampler(db);
                PipelineJob job =
                        PipelineJob.start(
                                table.source(backfill).createSource(),
                                2,
                                PipelineJob.withRestarts())) {
            job.await(
                    "a part of the snapshot",
                    TIMEOUT,
                    log -> SnapshotTable.ids(log).size() >= 1000);
            long terminated =
                    db.queryLong(
                            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE"
                                    + " datname = current_database() AND application_name LIKE"
                                    + " 'pgcdc-snapshot-%'");
            assertThat(terminated).as("snapshot backends terminated").isPositive();
            sampler.reset();
            table.awaitSnapshot(job);
            assertAfterRecovery(sampler, backfill, db);
            table.cancelAndAssertNothingLeft(job);
        }
    }

    @Test
    void deserializerFailureIsRecovered(TestDatabase db, @TempDir Path markers) throws Exception {
        SnapshotTable table = SnapshotTable.create(db, 500);
        PostgresDataSource source = table.source(false);
        Path marker = markers.resolve("failed-once");
        PostgresPipelineSource failingOnce =
                InjectingDeserializer.failingOnce(source, 5000, marker);
        try (ConnectionSampler sampler = new ConnectionSampler(db);
                PipelineJob job = PipelineJob.start(failingOnce, 2, PipelineJob.withRestarts())) {
            job.await("the failure", TIMEOUT, log -> Files.exists(marker));
            sampler.reset();
            table.awaitSnapshot(job);
            assertAfterRecovery(sampler, false, db);
            table.cancelAndAssertNothingLeft(job);
        }
    }

    private static void assertAfterRecovery(
            ConnectionSampler sampler, boolean backfill, TestDatabase db) {
        LOG.info(String.format("after the restart (p=2, backfill %s) -> %s", backfill, sampler));
        assertThat(sampler.peak())
                .as("peak sessions after the restart (%s)", sampler)
                .isLessThanOrEqualTo(6);
        assertThat(sampler.stuckInTransaction()).as("idle in transaction").isEmpty();
        if (!backfill) {
            assertThat(sampler.openedByLabel())
                    .as("no replication connection for snapshot splits")
                    .doesNotContainKey("Debezium Streaming");
        }
        assertThat(db.server().serverLogLines(db.backfillSlotPrefix()))
                .as("server log lines about our backfill slots")
                .noneMatch(line -> line.contains("does not exist"));
    }

    private static Set<Integer> union(Set<Integer> a, Set<Integer> b) {
        Set<Integer> all = new TreeSet<>(a);
        all.addAll(b);
        return Collections.unmodifiableSet(all);
    }
}
