package io.pgcdc.connector.resource;

import io.pgcdc.connector.testbed.StubConnection;
import org.junit.jupiter.api.Test;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * {@link Closeables#closeInOrder}: everything given is closed, in the order given, whatever fails;
 * the first failure is thrown and each later one is suppressed by it, so none is lost.
 */
class CloseablesTest {

    private final List<String> closed = new ArrayList<>();

    private AutoCloseable resource(String name) {
        return () -> closed.add(name);
    }

    private AutoCloseable failing(String name, Exception failure) {
        return () -> {
            closed.add(name);
            throw failure;
        };
    }

    @Test
    void closesEachInTheOrderGiven() throws Exception {
        Closeables.closeInOrder(resource("cancel"), resource("planner"), resource("connection"));

        assertThat(closed).containsExactly("cancel", "planner", "connection");
    }

    @Test
    void closesTheSessionsItIsGiven() throws Exception {
        StubConnection first = StubConnection.open("first");
        StubConnection second = StubConnection.open("second");

        Closeables.closeInOrder(first.connection(), second.connection());

        assertThat(first.isClosed()).isTrue();
        assertThat(second.isClosed()).isTrue();
        assertThat(first.count("close")).isEqualTo(1);
        assertThat(second.count("close")).isEqualTo(1);
    }

    @Test
    void keepsClosingPastFailuresAndThrowsTheFirstWithTheOthersSuppressed() {
        IllegalStateException planner = new IllegalStateException("planner broke");
        SQLException connection = new SQLException("connection broke");
        Exception slot = new Exception("slot broke");

        Throwable thrown =
                catchThrowable(
                        () ->
                                Closeables.closeInOrder(
                                        resource("cancel"),
                                        failing("planner", planner),
                                        failing("connection", connection),
                                        resource("scope"),
                                        failing("slot", slot)));

        assertThat(closed).containsExactly("cancel", "planner", "connection", "scope", "slot");
        assertThat(thrown).as("the first failure").isSameAs(planner);
        assertThat(thrown.getSuppressed())
                .as("the later failures, in order")
                .containsExactly(connection, slot);
    }

    @Test
    void aSessionWhoseCloseFailsDoesNotKeepTheNextOneOpen() {
        SQLException broken = new SQLException("I/O error while closing");
        StubConnection failing = StubConnection.open("failing").failOnClose(broken);
        StubConnection next = StubConnection.open("next");

        Throwable thrown =
                catchThrowable(
                        () -> Closeables.closeInOrder(failing.connection(), next.connection()));

        assertThat(thrown).isSameAs(broken);
        assertThat(thrown.getSuppressed()).isEmpty();
        assertThat(next.isClosed()).as("the session after the failing one").isTrue();
    }

    @Test
    void nothingToCloseOrNothingFailingThrowsNothing() {
        assertThatCode(Closeables::closeInOrder).doesNotThrowAnyException();
        assertThatCode(() -> Closeables.closeInOrder(resource("a"), resource("b")))
                .doesNotThrowAnyException();
        assertThat(closed).containsExactly("a", "b");
    }
}
