package io.pgcdc.connector.source;

import org.apache.flink.cdc.connectors.base.config.JdbcSourceConfig;
import org.apache.flink.cdc.connectors.base.dialect.DataSourceDialect;
import org.apache.flink.cdc.connectors.base.source.meta.split.ChangeEventRecords;
import org.apache.flink.cdc.connectors.base.source.meta.split.SourceRecords;
import org.apache.flink.cdc.connectors.base.source.reader.IncrementalSourceReaderContext;
import org.apache.flink.cdc.connectors.base.source.reader.IncrementalSourceSplitReader;
import org.apache.flink.cdc.connectors.base.source.utils.hooks.SnapshotPhaseHooks;
import org.apache.flink.connector.base.source.reader.RecordsWithSplitIds;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * flink-cdc-base's split reader, whose fetch the source reader's close can interrupt. Its scan
 * fetcher waits for a snapshot split's end inside {@code fetch()}, ignoring Flink's wake-up, until
 * the split's producer delivers that end or fails; a split stopped by the close does neither, so
 * the fetching thread (and the task's cancellation with it) would wait out Flink's 30 s close
 * timeout. {@link #interruptFetch()} interrupts the fetching thread while it is inside a fetch, and
 * a fetch cut short by the close returns nothing instead of an exception (which Flink would log as
 * an ERROR of a failing fetcher).
 *
 * <p>Threading: {@link #fetch()} runs on Flink's fetcher thread; {@link #interruptFetch()} on the
 * task thread. The interrupt reaches that thread only inside a fetch and is cleared before the
 * fetch returns.
 */
final class InterruptibleSplitReader extends IncrementalSourceSplitReader<JdbcSourceConfig> {

    private static final Logger LOG = LoggerFactory.getLogger(InterruptibleSplitReader.class);

    private final Object lock = new Object();
    private final Registry registry;
    private Thread fetching; // guarded by lock
    private volatile boolean closing;

    private InterruptibleSplitReader(
            int subtask,
            DataSourceDialect<JdbcSourceConfig> dialect,
            JdbcSourceConfig config,
            IncrementalSourceReaderContext context,
            SnapshotPhaseHooks hooks,
            Registry registry) {
        super(subtask, dialect, config, context, hooks);
        this.registry = registry;
    }

    @Override
    public RecordsWithSplitIds<SourceRecords> fetch() throws IOException {
        synchronized (lock) {
            if (closing) {
                return nothing();
            }
            fetching = Thread.currentThread();
        }
        try {
            return super.fetch();
        } catch (IOException e) {
            if (!closing) {
                throw e;
            }
            LOG.debug("A fetch ended with the reader's close: {}", e.toString());
            return nothing();
        } finally {
            synchronized (lock) {
                fetching = null;
                if (closing) {
                    Thread.interrupted(); // ours, not for Flink's fetcher loop
                }
            }
        }
    }

    /** From now on fetches return nothing; a fetch in progress is interrupted. */
    void interruptFetch() {
        synchronized (lock) {
            closing = true;
            if (fetching != null) {
                fetching.interrupt();
            }
        }
    }

    @Override
    public void close() throws Exception {
        try {
            super.close();
        } finally {
            registry.readers.remove(this);
        }
    }

    private static RecordsWithSplitIds<SourceRecords> nothing() {
        return new ChangeEventRecords(null, null, Collections.emptySet());
    }

    /**
     * The split readers of one source reader: Flink creates one per fetcher, and a fetcher that ran
     * out of splits is replaced by a new one later.
     */
    static final class Registry {
        private final List<InterruptibleSplitReader> readers = new CopyOnWriteArrayList<>();
        private volatile boolean closing;

        @SuppressWarnings({"rawtypes", "unchecked"})
        InterruptibleSplitReader create(
                int subtask,
                DataSourceDialect dialect,
                JdbcSourceConfig config,
                IncrementalSourceReaderContext context,
                SnapshotPhaseHooks hooks) {
            InterruptibleSplitReader reader =
                    new InterruptibleSplitReader(subtask, dialect, config, context, hooks, this);
            readers.add(reader);
            if (closing) {
                reader.interruptFetch();
            }
            return reader;
        }

        /** Interrupts every reader's fetch (the first phase of the source reader's close). */
        void interruptFetches() {
            closing = true;
            readers.forEach(InterruptibleSplitReader::interruptFetch);
        }
    }
}
