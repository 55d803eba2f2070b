package io.pgcdc.connector.fetch;

import org.apache.flink.annotation.Internal;
import org.apache.flink.cdc.connectors.base.source.meta.split.StreamSplit;
import org.apache.flink.cdc.connectors.postgres.source.fetch.PostgresStreamFetchTask;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stream split's fetch task, stopped before its connections close and ending quietly when
 * stopped: its producer attaches to the split's {@link ProducerStop}, which the split's close runs
 * first, so Debezium's loop has left before its replication connection closes (flink-cdc-base
 * closed the connections first: "Producer failure … Socket is closed" on every cancel and split
 * switch), and a loop waiting on a full queue is released instead of left waiting for ever.
 */
@Internal
public class PgcdcStreamFetchTask extends PostgresStreamFetchTask {

    private static final Logger LOG = LoggerFactory.getLogger(PgcdcStreamFetchTask.class);

    public PgcdcStreamFetchTask(StreamSplit split) {
        super(split);
    }

    @Override
    public void execute(Context context) throws Exception {
        PgcdcFetchTaskContext ctx = (PgcdcFetchTaskContext) context;
        ProducerStop stop = ctx.producerStop();
        if (!stop.attach(this::stopLoop)) {
            return; // stopped before it started
        }
        try {
            super.execute(context);
        } catch (Exception e) {
            if (!stop.requested() && !ctx.readerClosing()) {
                throw e;
            }
            LOG.debug("The stream split ended with its stop: {}", e.toString());
        } finally {
            stop.detach();
        }
    }

    /**
     * Asks Debezium's loop to stop. Until the loop runs, the base class's stop fails on a context
     * it has not set yet; {@link ProducerStop} repeats the request while it waits.
     */
    private void stopLoop() {
        try {
            close();
        } catch (NullPointerException loopNotRunningYet) {
            // repeated by the stop
        }
    }
}
