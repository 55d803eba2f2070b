package io.pgcdc.connector.fetch;

import io.debezium.connector.base.ChangeEventQueue;
import io.debezium.connector.postgresql.PostgresConnectorConfig;
import io.debezium.connector.postgresql.PostgresErrorHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.BooleanSupplier;

/**
 * Debezium's error handler for one split, except while the split is being stopped: what fails its
 * producer then (an interrupt, a connection closed or a statement cancelled by the stop) is the
 * stop itself, logged at DEBUG and not reported as the split's failure (Debezium logs every
 * producer failure as an ERROR, and flink-cdc-base fails the task with it).
 *
 * <p>Threading: failures are reported on the producer thread; the stop it consults is requested
 * from any thread.
 */
final class StopAwareErrorHandler extends PostgresErrorHandler {

    private static final Logger LOG = LoggerFactory.getLogger(StopAwareErrorHandler.class);

    private final BooleanSupplier stopping;

    StopAwareErrorHandler(
            PostgresConnectorConfig config, ChangeEventQueue<?> queue, BooleanSupplier stopping) {
        super(config, queue);
        this.stopping = stopping;
    }

    @Override
    public void setProducerThrowable(Throwable producerThrowable) {
        if (stopping.getAsBoolean()) {
            LOG.debug("The producer ended with its split's stop: {}", producerThrowable.toString());
            return;
        }
        super.setProducerThrowable(producerThrowable);
    }
}
