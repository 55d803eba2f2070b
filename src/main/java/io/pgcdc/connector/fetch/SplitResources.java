package io.pgcdc.connector.fetch;

import io.pgcdc.connector.resource.Closeables;
import io.pgcdc.connector.resource.ResourceScope;

import javax.annotation.concurrent.ThreadSafe;

/**
 * What one split owns on the database while it is read: its resource scope (a replication
 * connection, heartbeat connections) and the stop of the thread producing its records. Closing has
 * two phases, in this order: the producer stops and has left Debezium's loop, then the resources
 * close, so no connection closes under a running producer. Once closed, nothing can be opened for
 * the split any more and its stop reports a stopped producer.
 *
 * <p>Threading: resources are opened on the fetcher's and the producer's threads; {@link #close()}
 * and {@link #producerStop()} may be called from any thread.
 */
@ThreadSafe
final class SplitResources implements AutoCloseable {

    private final ResourceScope scope;
    private ProducerStop stop; // guarded by this
    private boolean closed; // guarded by this

    SplitResources(ResourceScope scope) {
        this.scope = scope;
    }

    /** The split's producer stop, once its queue exists. */
    synchronized void producedBy(ProducerStop stop) {
        this.stop = stop;
    }

    /** Whether {@code producer} is this split's producer stop. */
    synchronized boolean isProducedBy(ProducerStop producer) {
        return stop == producer;
    }

    /** The producer stop; a stopped one before the split has a producer and after it closed. */
    synchronized ProducerStop producerStop() {
        return closed || stop == null ? ProducerStop.stopped() : stop;
    }

    /** Fails if the split has closed: nothing may be opened for it any more. */
    synchronized void ensureOpen() {
        if (closed) {
            throw new IllegalStateException(
                    "The split has completed; no connection can be opened for it");
        }
    }

    /**
     * Registers a resource the split owns, closed with it; a resource registered after the split
     * closed is closed at once and the registration fails.
     */
    <T extends AutoCloseable> T register(String label, T resource) {
        return scope.register(label, resource);
    }

    /** Stops the producer, then closes the resources; idempotent. */
    @Override
    public void close() throws Exception {
        ProducerStop producer;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            producer = stop;
        }
        Closeables.closeInOrder(producer == null ? () -> {} : producer, scope);
    }
}
