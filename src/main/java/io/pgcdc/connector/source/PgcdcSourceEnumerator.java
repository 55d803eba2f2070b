package io.pgcdc.connector.source;

import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.SourceEvent;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.cdc.connectors.base.source.assigner.AssignerStatus;
import org.apache.flink.cdc.connectors.base.source.assigner.SplitAssigner;
import org.apache.flink.cdc.connectors.base.source.meta.events.StreamSplitAssignedEvent;
import org.apache.flink.cdc.connectors.base.source.meta.split.SourceSplitBase;
import org.apache.flink.cdc.connectors.postgres.source.PostgresDialect;
import org.apache.flink.cdc.connectors.postgres.source.config.PostgresSourceConfig;
import org.apache.flink.cdc.connectors.postgres.source.enumerator.PostgresSourceEnumerator;
import org.apache.flink.cdc.connectors.postgres.source.events.OffsetCommitAckEvent;
import org.apache.flink.cdc.connectors.postgres.source.events.OffsetCommitEvent;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/**
 * postgres-cdc's enumerator without its 30-second stalls while newly added tables are snapshotted.
 *
 * <p>During that phase the enumerator assigns a snapshot split only after the reader holding the
 * stream split has confirmed that it stopped committing offsets to the slot (the stream's start
 * offset is about to move back to the new splits' low watermarks). Upstream asks for that
 * confirmation only in its periodic reader sync, every 30 s, and forgets it again each time the
 * reader takes the stream split back, that is after every split; a confirmation that arrives
 * leads to an assignment only at the next completed checkpoint. So each newly added split waited
 * up to 30 s. Here the request goes out as soon as a reader waits for a split that the missing
 * confirmation holds back, and the confirmation assigns at once.
 *
 * <p>Also: a split request that the coordinator handles while or after this enumerator closes
 * (a cancel mid-snapshot) ends quietly instead of reporting the chunk splitter's closed
 * connection as an "uncaught exception … triggering job failover".
 */
public class PgcdcSourceEnumerator extends PostgresSourceEnumerator {

    private static final Logger LOG = LoggerFactory.getLogger(PgcdcSourceEnumerator.class);

    private final boolean newlyAddedTablesEnabled;
    /** Mirrors the superclass's private acknowledgement flag (same events, same transitions). */
    private boolean commitStopAcknowledged;
    /** Whether the stream reader has been asked since the acknowledgement was last reset. */
    private boolean commitStopRequested;
    private volatile boolean closed;

    public PgcdcSourceEnumerator(
            SplitEnumeratorContext<SourceSplitBase> context,
            PostgresSourceConfig config,
            SplitAssigner assigner,
            PostgresDialect dialect,
            Boundedness boundedness) {
        super(context, config, assigner, dialect, boundedness);
        this.newlyAddedTablesEnabled = config.isScanNewlyAddedTableEnabled();
    }

    @Override
    protected void assignSplits() {
        if (closed) {
            return; // a split request the coordinator still hands over after closing us
        }
        try {
            super.assignSplits();
        } catch (RuntimeException e) {
            if (!closed) {
                throw e;
            }
            // The request waited for the chunk splitter, which failed when close() closed its
            // connection: an expected end, not a failure to report as a failover.
            LOG.info("A split request ended with the enumerator's close: {}", e.getMessage());
            return;
        }
        if (heldBackForCommitStop() && !commitStopRequested) {
            commitStopRequested = true;
            LOG.info("Asking subtask {} to stop committing offsets before newly added tables are read",
                    streamSplitTaskId);
            context.sendEventToSourceReader(streamSplitTaskId, new OffsetCommitEvent(false));
        }
    }

    private boolean heldBackForCommitStop() {
        AssignerStatus status = splitAssigner.getAssignerStatus();
        return newlyAddedTablesEnabled
                && streamSplitTaskId != null
                && !commitStopAcknowledged
                && !readersAwaitingSplit.isEmpty()
                && AssignerStatus.isNewlyAddedAssigning(status);
    }

    @Override
    public void close() throws IOException {
        closed = true;
        super.close();
    }

    @Override
    public void handleSourceEvent(int subtaskId, SourceEvent event) {
        super.handleSourceEvent(subtaskId, event);
        if (event instanceof StreamSplitAssignedEvent) {
            commitStopAcknowledged = false;
            commitStopRequested = false;
        } else if (event instanceof OffsetCommitAckEvent) {
            commitStopAcknowledged = true;
            assignSplits(); // the readers that waited for it
        }
    }
}
