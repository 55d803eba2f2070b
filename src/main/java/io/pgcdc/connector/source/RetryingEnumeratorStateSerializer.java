package io.pgcdc.connector.source;

import org.apache.flink.cdc.connectors.base.source.assigner.state.PendingSplitsState;
import org.apache.flink.core.io.SimpleVersionedSerializer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ConcurrentModificationException;

/**
 * The enumerator's checkpoint serializer, tolerant of flink-cdc-base 3.5's race: the snapshot
 * assigner's state holds its live split list while the chunk-splitting thread still appends to
 * it, so serializing it during splitting threw {@link ConcurrentModificationException} and failed
 * the checkpoint (and with Flink's default of no tolerated checkpoint failures, the job). Seen in
 * a savepoint taken while a 500-split table was still being split. Serializing again, once the
 * append in progress is done, succeeds; the splits it includes are real, unassigned splits.
 */
final class RetryingEnumeratorStateSerializer implements SimpleVersionedSerializer<PendingSplitsState> {

    private static final Logger LOG = LoggerFactory.getLogger(RetryingEnumeratorStateSerializer.class);
    private static final int ATTEMPTS = 100;

    private final SimpleVersionedSerializer<PendingSplitsState> delegate;

    RetryingEnumeratorStateSerializer(SimpleVersionedSerializer<PendingSplitsState> delegate) {
        this.delegate = delegate;
    }

    @Override
    public int getVersion() {
        return delegate.getVersion();
    }

    @Override
    public byte[] serialize(PendingSplitsState state) throws IOException {
        ConcurrentModificationException last = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            try {
                return delegate.serialize(state);
            } catch (ConcurrentModificationException e) {
                last = e;
                Thread.yield(); // let the splitting thread finish its append
            }
        }
        LOG.warn("The enumerator state kept changing while it was serialized ({} attempts)", ATTEMPTS);
        throw new IOException("The enumerator state changed while it was serialized", last);
    }

    @Override
    public PendingSplitsState deserialize(int version, byte[] serialized) throws IOException {
        return delegate.deserialize(version, serialized);
    }
}
