package io.pgcdc.connector.resource;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class ResourceScopeTest {

    private final List<String> closed = new CopyOnWriteArrayList<>();

    private AutoCloseable resource(String name) {
        return () -> closed.add(name);
    }

    private AutoCloseable failing(String name) {
        return () -> {
            closed.add(name);
            throw new IllegalStateException(name + " broke");
        };
    }

    @Test
    void closesInReverseOrderOfRegistrationAndOnlyOnce() throws Exception {
        ResourceScope scope = ResourceScope.root("task", Duration.ofSeconds(5));
        scope.register("a", resource("a"));
        scope.register("b", resource("b"));
        scope.register("c", resource("c"));
        assertThat(scope.openResources()).containsExactly("c", "b", "a");
        scope.close();
        scope.close();
        assertThat(closed).containsExactly("c", "b", "a");
        assertThat(scope.isClosed()).isTrue();
    }

    @Test
    void keepsClosingPastFailuresAndReportsEachAsSuppressed() {
        ResourceScope scope = ResourceScope.root("task", Duration.ofSeconds(5));
        scope.register("a", resource("a"));
        scope.register("b", failing("b"));
        scope.register("c", failing("c"));
        ResourceCloseException e = catchThrowableOfType(ResourceCloseException.class, scope::close);
        assertThat(closed).containsExactly("c", "b", "a");
        assertThat(e.getSuppressed()).hasSize(2);
        assertThat(e.getSuppressed()[0]).hasMessageContaining("'c'").hasRootCauseMessage("c broke");
        assertThat(e.getSuppressed()[1]).hasMessageContaining("'b'").hasRootCauseMessage("b broke");
    }

    @Test
    void nestedScopeClosesBeforeWhatItsParentOpenedEarlier() throws Exception {
        ResourceScope task = ResourceScope.root("task", Duration.ofSeconds(5));
        task.register("connection", resource("connection"));
        ResourceScope split = task.child("split-1");
        split.register("cursor", resource("cursor"));
        split.register("backfill-slot", resource("backfill-slot"));
        task.close(); // the split was never closed by its owner: closed (and warned about) here
        assertThat(closed).containsExactly("backfill-slot", "cursor", "connection");
        assertThat(split.isClosed()).isTrue();
    }

    @Test
    void aClosedChildIsForgottenByItsParent() throws Exception {
        ResourceScope task = ResourceScope.root("task", Duration.ofSeconds(5));
        for (int i = 0; i < 100; i++) {
            ResourceScope split = task.child("split-" + i);
            split.register("r" + i, resource("r" + i));
            split.close();
        }
        assertThat(task.openResources()).isEmpty(); // bounded by what is open, not by splits seen
        assertThat(closed).hasSize(100);
        task.close();
    }

    @Test
    void aHungCloseIsAbandonedAfterTheTimeout() throws Exception {
        ResourceScope scope = ResourceScope.root("task", Duration.ofMillis(300));
        CountDownLatch never = new CountDownLatch(1);
        scope.register("after", resource("after"));
        scope.register("hung", () -> never.await());
        scope.register("before", resource("before"));
        long start = System.nanoTime();
        ResourceCloseException e = catchThrowableOfType(ResourceCloseException.class, scope::close);
        long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(elapsedMs).isLessThan(5_000);
        assertThat(closed).containsExactly("before", "after");
        assertThat(e.getSuppressed())
                .singleElement()
                .satisfies(t -> assertThat(t).hasMessageContaining("'hung'"));
        never.countDown();
    }

    @Test
    void registeringOnAClosedScopeClosesTheResourceAtOnce() throws Exception {
        ResourceScope scope = ResourceScope.root("task", Duration.ofSeconds(5));
        scope.close();
        assertThatThrownBy(() -> scope.register("late", resource("late")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("'late'");
        assertThat(closed).containsExactly("late");
        assertThatThrownBy(() -> scope.child("split")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void closingFromAnotherThreadWhileRegisteringLeavesNothingOpen() throws Exception {
        for (int round = 0; round < 20; round++) {
            closed.clear();
            ResourceScope scope = ResourceScope.root("task", Duration.ofSeconds(5));
            List<String> registered = new CopyOnWriteArrayList<>();
            Thread opener =
                    new Thread(
                            () -> {
                                for (int i = 0; i < 200; i++) {
                                    String name = "r" + i;
                                    registered.add(name);
                                    try {
                                        scope.register(name, resource(name));
                                    } catch (IllegalStateException closedMeanwhile) {
                                        return;
                                    }
                                }
                            });
            opener.start();
            scope.close(); // cancellation from the task thread
            opener.join();
            scope.close();
            assertThat(closed).containsExactlyInAnyOrderElementsOf(registered);
        }
    }

    @Test
    void releaseClosesOneResourceEarly() throws Exception {
        ResourceScope scope = ResourceScope.root("task", Duration.ofSeconds(5));
        AutoCloseable a = scope.register("a", resource("a"));
        scope.register("b", resource("b"));
        assertThat(scope.release(a)).isTrue();
        assertThat(scope.release(a)).isFalse();
        assertThat(closed).containsExactly("a");
        scope.close();
        assertThat(closed).containsExactly("a", "b");
    }
}
