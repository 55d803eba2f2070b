package io.pgcdc.connector.fetch;

import io.debezium.connector.base.ChangeEventQueue;
import io.debezium.pipeline.DataChangeEvent;
import io.pgcdc.connector.resource.ResourceScope;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A split's resources close in two phases, once, and refuse new ones after they closed. */
class SplitResourcesTest {

    private final ResourceScope task = ResourceScope.root("task", Duration.ofSeconds(5));

    @Test
    void theProducerStopsBeforeTheResourcesClose() throws Exception {
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        SplitResources split = new SplitResources(task.child("split-1"));
        split.register("connection", () -> events.add("connection closed"));
        ProducerStop stop = new ProducerStop("split-1", queue());
        split.producedBy(stop);
        CountDownLatch attached = new CountDownLatch(1);
        AtomicBoolean asked = new AtomicBoolean();
        Thread producer =
                new Thread(
                        () -> {
                            // the stop request is repeated while the close waits: record it
                            // once, before the producer may see it and leave
                            stop.attach(
                                    () -> {
                                        if (!asked.get()) {
                                            events.add("producer asked to stop");
                                            asked.set(true);
                                        }
                                    });
                            attached.countDown();
                            while (!asked.get()) {
                                Thread.onSpinWait();
                            }
                            events.add("producer left");
                            stop.detach();
                        });
        producer.start();
        assertThat(attached.await(5, TimeUnit.SECONDS)).isTrue();

        split.close();
        producer.join(5_000);

        assertThat(events)
                .containsExactly("producer asked to stop", "producer left", "connection closed");
        assertThat(split.producerStop().requested()).as("a closed split's stop").isTrue();
    }

    @Test
    void closeIsIdempotentAndNothingOpensAfterIt() throws Exception {
        List<String> closed = new ArrayList<>();
        SplitResources split = new SplitResources(task.child("split-2"));
        split.register("heartbeat", () -> closed.add("heartbeat"));
        split.close();
        split.close();
        assertThat(closed).containsExactly("heartbeat");

        assertThatThrownBy(split::ensureOpen)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("split has completed");
        List<String> late = new ArrayList<>();
        assertThatThrownBy(() -> split.register("late", () -> late.add("closed at once")))
                .isInstanceOf(IllegalStateException.class);
        assertThat(late).as("a resource registered after the close is closed at once").hasSize(1);
    }

    @Test
    void beforeItHasAProducerTheStopReportsStopped() {
        SplitResources split = new SplitResources(task.child("split-3"));
        assertThat(split.producerStop().requested()).isTrue();
    }

    private static ChangeEventQueue<DataChangeEvent> queue() {
        return new ChangeEventQueue.Builder<DataChangeEvent>()
                .pollInterval(Duration.ofMillis(1))
                .maxBatchSize(10)
                .maxQueueSize(100)
                .loggingContextSupplier(() -> null)
                .build();
    }
}
