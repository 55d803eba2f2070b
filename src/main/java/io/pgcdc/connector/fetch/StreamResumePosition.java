package io.pgcdc.connector.fetch;

import org.apache.flink.annotation.Internal;
import org.apache.flink.annotation.VisibleForTesting;
import org.apache.flink.cdc.connectors.base.source.meta.offset.Offset;
import org.apache.flink.cdc.connectors.postgres.source.offset.PostgresOffsetFactory;

import io.debezium.connector.postgresql.PostgresOffsetContext;
import io.debezium.connector.postgresql.SourceInfo;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Where a restored stream resumes.
 *
 * <p>Debezium's offset cannot tell two positions apart when a transaction's first change starts
 * exactly where the previous commit ended (Y, nothing written in between): after that commit it
 * reads {@code lsn = lsn_proc = lsn_commit = Y}, and after that first change it reads the same.
 * Resumed from the first, the change at Y must be emitted; from the second, it must not (PostgreSQL
 * resends the whole transaction). So the stream split's state marks an offset a heartbeat left at
 * the end of a commit ({@link #afterHeartbeat}), and {@link #resumePoint} resumes a marked offset
 * at Y with nothing skipped and any other offset with Debezium's search for the last processed
 * change.
 *
 * <p>Stateless; safe from any thread.
 */
@Internal
public final class StreamResumePosition {

    /**
     * Offset key, present (value {@code "true"}) when everything up to the commit ending at {@code
     * lsn} was emitted and nothing after it.
     */
    @VisibleForTesting static final String AT_COMMIT_END = "pgcdc_at_commit_end";

    private StreamResumePosition() {}

    /**
     * The offset the stream split keeps after a heartbeat. Debezium sends one after a commit (when
     * its interval has passed) and while no message arrives, also in the middle of a transaction;
     * one that says "commit ending at Y" while the split already stands on a change at Y is the
     * latter and leaves the split where it is.
     *
     * @param current the split's offset before the heartbeat, or null
     * @param heartbeat the heartbeat record's offset
     */
    public static Offset afterHeartbeat(Offset current, Offset heartbeat) {
        Map<String, String> position = heartbeat.getOffset();
        if (!looksLikeACommitEnd(position)) {
            return heartbeat;
        }
        if (current != null
                && Objects.equals(lsn(current.getOffset()), lsn(position))
                && !isAtCommitEnd(current)) {
            return current; // idle after the change at Y: that change is what was emitted last
        }
        Map<String, String> marked = new HashMap<>(position);
        marked.put(AT_COMMIT_END, "true");
        return new PostgresOffsetFactory().newOffset(marked);
    }

    /**
     * The offset a stream split starts from: a marked one resumes at the first message at or after
     * its commit's end, without Debezium's search, which, given a change position equal to that
     * end, skipped the next transaction's first change (FLINK-39265: lost after a restore from an
     * idle stream); any other keeps the search, which skips the changes of a transaction already
     * emitted.
     */
    public static Offset resumePoint(Offset offset) {
        if (!isAtCommitEnd(offset)) {
            return offset;
        }
        Map<String, String> atCommitEnd = new HashMap<>(offset.getOffset());
        atCommitEnd.remove(AT_COMMIT_END);
        atCommitEnd.remove(PostgresOffsetContext.LAST_COMPLETELY_PROCESSED_LSN_KEY);
        atCommitEnd.remove(PostgresOffsetContext.LAST_COMMIT_LSN_KEY);
        return new PostgresOffsetFactory().newOffset(atCommitEnd);
    }

    @VisibleForTesting
    static boolean isAtCommitEnd(Offset offset) {
        return "true".equals(offset.getOffset().get(AT_COMMIT_END));
    }

    private static boolean looksLikeACommitEnd(Map<String, String> position) {
        String processed = position.get(PostgresOffsetContext.LAST_COMPLETELY_PROCESSED_LSN_KEY);
        return processed != null
                && processed.equals(position.get(PostgresOffsetContext.LAST_COMMIT_LSN_KEY))
                && processed.equals(lsn(position));
    }

    private static String lsn(Map<String, String> position) {
        return position.get(SourceInfo.LSN_KEY);
    }
}
