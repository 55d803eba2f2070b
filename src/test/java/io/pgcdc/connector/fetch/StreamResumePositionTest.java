package io.pgcdc.connector.fetch;

import org.apache.flink.cdc.connectors.base.source.meta.offset.Offset;
import org.apache.flink.cdc.connectors.postgres.source.offset.PostgresOffsetFactory;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The two positions Debezium's offset cannot tell apart: after the commit ending at Y, and after
 * the next transaction's first change at Y. The end-to-end cases against PostgreSQL are in {@code
 * CommitBoundaryRestoreITCase}.
 */
class StreamResumePositionTest {

    private static final long Y = 1_000;

    @Test
    void aHeartbeatAfterACommitMarksTheCommitEndAndResumesThereWithoutTheSearch() {
        Offset lastChangeOfTheCommit = offset(Y - 40, Y - 40, Y - 200);
        Offset kept = StreamResumePosition.afterHeartbeat(lastChangeOfTheCommit, offset(Y, Y, Y));

        assertThat(StreamResumePosition.isAtCommitEnd(kept)).isTrue();
        assertThat(StreamResumePosition.resumePoint(kept).getOffset())
                .containsEntry("lsn", String.valueOf(Y))
                .doesNotContainKeys("lsn_proc", "lsn_commit", StreamResumePosition.AT_COMMIT_END);
    }

    @Test
    void aHeartbeatWhileIdleAfterAChangeAtACommitEndKeepsTheChange() {
        Offset firstChangeOfTheNext = offset(Y, Y, Y);
        Offset kept = StreamResumePosition.afterHeartbeat(firstChangeOfTheNext, offset(Y, Y, Y));

        assertThat(StreamResumePosition.isAtCommitEnd(kept)).isFalse();
        assertThat(StreamResumePosition.resumePoint(kept).getOffset())
                .as("resumed with Debezium's search, which skips the change at Y")
                .isEqualTo(firstChangeOfTheNext.getOffset());
    }

    @Test
    void aHeartbeatAtTheCommitEndItWasRestoredFromStaysMarked() {
        Offset restored = StreamResumePosition.afterHeartbeat(null, offset(Y, Y, Y));
        assertThat(StreamResumePosition.isAtCommitEnd(restored)).isTrue();

        Offset kept = StreamResumePosition.afterHeartbeat(restored, offset(Y, Y, Y));
        assertThat(StreamResumePosition.isAtCommitEnd(kept)).isTrue();
    }

    @Test
    void aHeartbeatWithinATransactionIsKeptAsItIs() {
        Offset heartbeat = offset(Y + 80, Y + 80, Y);
        assertThat(StreamResumePosition.afterHeartbeat(offset(Y, Y, Y), heartbeat))
                .isSameAs(heartbeat);
        assertThat(StreamResumePosition.resumePoint(heartbeat)).isSameAs(heartbeat);
    }

    @Test
    void aStartingOffsetWithoutProcessedPositionsIsUsedAsItIs() {
        Map<String, String> highWatermark = new HashMap<>();
        highWatermark.put("lsn", String.valueOf(Y));
        Offset start = new PostgresOffsetFactory().newOffset(highWatermark);

        assertThat(StreamResumePosition.resumePoint(start)).isSameAs(start);
    }

    private static Offset offset(long lsn, long processed, long commit) {
        Map<String, String> position = new HashMap<>();
        position.put("lsn", String.valueOf(lsn));
        position.put("lsn_proc", String.valueOf(processed));
        position.put("lsn_commit", String.valueOf(commit));
        position.put("txId", "7");
        return new PostgresOffsetFactory().newOffset(position);
    }
}
