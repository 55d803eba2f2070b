package io.pgcdc.connector.source;

import io.pgcdc.connector.testbed.ConnectionSampler;
import io.pgcdc.connector.testbed.LedgerMetrics;
import io.pgcdc.connector.testbed.PipelineJob;
import io.pgcdc.connector.testbed.PostgresExtension;
import io.pgcdc.connector.testbed.StockSource;
import io.pgcdc.connector.testbed.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 3, scenarios 1, 2, 6 and 7: connections during a snapshot of many small splits stay bounded
 * by parallelism, not by the number of splits; nothing is idle in transaction between splits; and
 * cancelling leaves nothing but the user's slot. The stock upstream dialect runs the same snapshot
 * for comparison (reported, not asserted).
 */
@ExtendWith(PostgresExtension.class)
class ConnectionBoundsITCase {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionBoundsITCase.class);

    @ParameterizedTest(name = "parallelism {0}, backfill {1}, {2} splits")
    @CsvSource({
        "1, off, 500", "2, off, 500", "4, off, 500",
        "1, on, 500", "2, on, 500", "4, on, 500",
        "2, off, 50", "2, on, 50"
    })
    void connectionsAreBoundedByParallelismNotSplits(
            int parallelism, String backfill, int splits, TestDatabase db) throws Exception {
        SnapshotTable table = SnapshotTable.create(db, splits);
        PostgresDataSource source = table.source("on".equals(backfill));
        SnapshotFigures ours;
        LedgerMetrics.clear();
        try (ConnectionSampler sampler = new ConnectionSampler(db);
                PipelineJob job =
                        PipelineJob.start(
                                source.createSource(),
                                parallelism,
                                LedgerMetrics.reporterSettings())) {
            table.awaitSnapshot(job);
            ours = SnapshotFigures.of(sampler);
            // our snapshot sessions end their split's transaction at once; the stream's walsender,
            // which may be starting right now, runs its setup queries in a short transaction
            // (it counts among the sampler's sessions stuck for more than 1 s below if it stays)
            assertThat(db.stuckInTransaction(Duration.ZERO))
                    .as("our sessions idle in transaction after the snapshot")
                    .allSatisfy((pid, label) -> assertThat(label).doesNotStartWith("pgcdc-"));
            table.cancelAndAssertNothingLeft(job);
        }
        // the readers' own metrics agree: one connection per reader, all closed
        assertThat(LedgerMetrics.opened())
                .as("pgcdcConnectionsOpened over all readers")
                .isBetween(1L, (long) parallelism);
        assertThat(LedgerMetrics.open()).as("pgcdcOpenConnections after cancelling").isZero();
        LOG.info(
                String.format(
                        "ours:  p=%d backfill=%s splits=%d -> %s",
                        parallelism, backfill, splits, ours));

        assertThat(ours.peak)
                .as("peak sessions (%s)", ours)
                .isLessThanOrEqualTo(2 * parallelism + 2);
        // the walsender of the stream phase, once per job, may start before the last row is seen
        assertThat(ours.openedForSnapshot)
                .as("sessions opened (%s)", ours)
                .isLessThanOrEqualTo(3 * parallelism);
        assertThat(ours.stuck).as("sessions idle in transaction for more than 1 s").isEmpty();
        assertThat(ours.labels).as("labels").doesNotContainKey("Debezium Drop Slot");
        assertThat(db.server().serverLogLines(db.backfillSlotPrefix()))
                .as("server log lines about our backfill slots")
                .noneMatch(line -> line.contains("does not exist"));
    }

    @Test
    void stockDialectForComparison(TestDatabase db) throws Exception {
        SnapshotTable table = SnapshotTable.create(db, 500);
        PostgresDataSource source = table.source(false);
        StockSource stock = StockSource.of(source);
        try (ConnectionSampler sampler = new ConnectionSampler(db);
                PipelineJob job = PipelineJob.start(stock, 2)) {
            table.awaitSnapshot(job);
            LOG.info(
                    String.format(
                            "stock: p=2 backfill=off splits=500 -> %s",
                            SnapshotFigures.of(sampler)));
        }
    }

    /** What the sampler saw from job start to the end of the snapshot. */
    static final class SnapshotFigures {
        final int peak;
        final int opened;
        final int openedForSnapshot;
        final Map<String, Integer> labels;
        final Map<Integer, String> stuck;

        private SnapshotFigures(
                int peak,
                int opened,
                int openedForSnapshot,
                Map<String, Integer> labels,
                Map<Integer, String> stuck) {
            this.peak = peak;
            this.opened = opened;
            this.openedForSnapshot = openedForSnapshot;
            this.labels = labels;
            this.stuck = stuck;
        }

        static SnapshotFigures of(ConnectionSampler sampler) {
            return new SnapshotFigures(
                    sampler.peak(),
                    sampler.opened(),
                    sampler.openedForSnapshot(),
                    sampler.openedByLabel(),
                    sampler.stuckInTransaction());
        }

        @Override
        public String toString() {
            return "peak "
                    + peak
                    + ", opened "
                    + opened
                    + " "
                    + labels
                    + (stuck.isEmpty() ? "" : ", stuck " + stuck);
        }
    }
}
