package io.pgcdc.connector.fetch;

import io.debezium.jdbc.JdbcConfiguration;
import io.pgcdc.connector.testbed.LogCapture;
import io.pgcdc.connector.testbed.StubConnection;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.Test;

import java.sql.SQLException;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The contract of {@link SharedConnectionHandle}, on a stub session: the session belongs to its
 * owner, so closing a handle only ends the handle's transaction (rolled back, back in autocommit)
 * and never closes the session; a handle stays usable after its own close as long as the owner
 * keeps the session, and refuses use once the owner closed it.
 */
class SharedConnectionHandleTest {

    private final StubConnection session = StubConnection.open("enumerator");

    private SharedConnectionHandle handle() {
        return new SharedConnectionHandle(jdbc(), session.connection(), "pgcdc-enumerator");
    }

    private static JdbcConfiguration jdbc() {
        return JdbcConfiguration.create()
                .with(JdbcConfiguration.HOSTNAME, "stub")
                .with(JdbcConfiguration.DATABASE, "shop")
                .build();
    }

    @Test
    void closingEndsTheTransactionAndLeavesTheSessionOpen() throws Exception {
        SharedConnectionHandle handle = handle();
        handle.connection();
        session.inTransaction(); // e.g. a chunk query that turned autocommit off

        handle.close();

        assertThat(
                        session.calls().stream()
                                .filter(call -> call.equals("rollback") || call.startsWith("set"))
                                .collect(Collectors.toList()))
                .containsExactly("rollback", "setAutoCommit");
        assertThat(session.autoCommit()).as("autocommit after the close").isTrue();
        assertThat(session.isClosed()).isFalse();
        assertThat(session.count("close")).isZero();
    }

    @Test
    void closingOutsideATransactionChangesNothing() throws Exception {
        SharedConnectionHandle handle = handle();
        handle.connection();

        handle.close();
        handle.close();

        assertThat(session.count("rollback")).isZero();
        assertThat(session.count("setAutoCommit")).isZero();
        assertThat(session.count("close")).isZero();
    }

    @Test
    void aHandleStaysUsableAfterItsCloseWhileTheOwnerKeepsTheSession() throws Exception {
        SharedConnectionHandle handle = handle();
        handle.close();

        assertThat(handle.connection()).isSameAs(session.connection());
        handle.execute("SELECT 1");

        assertThat(session.statements()).containsExactly("SELECT 1");
    }

    @Test
    void manyHandlesComeAndGoOnOneSession() throws Exception {
        for (int i = 0; i < 100; i++) {
            SharedConnectionHandle handle = handle();
            handle.execute("SELECT " + i);
            handle.close();
        }

        assertThat(session.statements()).hasSize(100);
        assertThat(session.count("close")).isZero();
        assertThat(session.isClosed()).isFalse();
    }

    @Test
    void aHandleRefusesUseOnceTheOwnerClosedTheSession() throws Exception {
        SharedConnectionHandle handle = handle();
        handle.connection();

        session.connection().close(); // the owner's close

        assertThatThrownBy(handle::connection)
                .isInstanceOf(SQLException.class)
                .hasMessage("The shared connection was closed by its owner");
        assertThatThrownBy(() -> handle.execute("SELECT 1")).isInstanceOf(SQLException.class);
        assertThatCode(handle::close).doesNotThrowAnyException();
        assertThat(session.count("rollback")).isZero();
        assertThat(session.statements()).isEmpty();
    }

    @Test
    void aTransactionThatCannotBeEndedIsLoggedAndTheSessionStaysWithItsOwner() throws Exception {
        SharedConnectionHandle handle = handle();
        handle.connection();
        session.inTransaction()
                .failOn("rollback", new SQLException("An I/O error occurred while sending"));

        try (LogCapture warnings = LogCapture.atLeast(Level.WARN)) {
            assertThatCode(handle::close).doesNotThrowAnyException();
            assertThat(warnings.text())
                    .contains("Could not end a transaction on the shared connection")
                    .contains("An I/O error occurred while sending");
        }
        assertThat(session.count("close")).isZero();
    }
}
