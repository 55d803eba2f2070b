package io.pgcdc.connector.fetch;

import org.apache.flink.cdc.connectors.base.source.meta.split.StreamSplit;
import org.apache.flink.cdc.connectors.postgres.source.fetch.PostgresStreamFetchTask;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The stream split's fetch task, stopped before its connections close.
 *
 * <p>flink-cdc-base stops a stream fetcher by closing its task context first and the task second,
 * so Debezium's reading loop could find its replication socket closed under it and log an ERROR
 * "Producer failure … Socket is closed" with a stack trace when a job was cancelled, failed over or
 * switched to a newly added table's split. This task registers its own stop in the split's
 * resource scope as it starts: registered after the split's connections, it runs before them,
 * stops the loop and waits briefly for it to leave.
 */
public class PgcdcStreamFetchTask extends PostgresStreamFetchTask {

    private static final Logger LOG = LoggerFactory.getLogger(PgcdcStreamFetchTask.class);

    /**
     * Debezium's loop notices a stop within its poll interval; it does not while it waits for room
     * in a full queue that nobody drains any more, and then the connections close under it.
     */
    private static final Duration STOP_WAIT = Duration.ofSeconds(3);
    private static final long STOP_RETRY_MILLIS = 50;

    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile boolean reading;

    public PgcdcStreamFetchTask(StreamSplit split) {
        super(split);
    }

    @Override
    public void execute(Context context) throws Exception {
        try {
            if (!((PgcdcFetchTaskContext) context).stopBeforeClosingConnections(this::stopReading)) {
                return; // the split's resources have closed already: nothing to read with
            }
            reading = true;
            super.execute(context);
        } finally {
            finished.countDown();
        }
    }

    /**
     * Stops the reading loop and waits for it to return. The stop is repeated while waiting:
     * upstream's stop reaches the loop only once the loop has been handed its stop context, and a
     * stop can come just before that.
     */
    private void stopReading() throws InterruptedException {
        close();
        if (!reading) {
            return; // not started; the stopped task will not start
        }
        long deadline = System.nanoTime() + STOP_WAIT.toNanos();
        while (!finished.await(STOP_RETRY_MILLIS, TimeUnit.MILLISECONDS)) {
            if (System.nanoTime() > deadline) {
                LOG.info("The stream reader did not stop within {} ms; closing its connections under it",
                        STOP_WAIT.toMillis());
                return;
            }
            close();
        }
    }
}
