package io.pgcdc.connector.fetch;

import io.debezium.jdbc.JdbcConfiguration;
import io.debezium.jdbc.JdbcConnection.ConnectionFactory;
import io.pgcdc.connector.resource.ConnectionLedger;
import io.pgcdc.connector.testbed.SourceConfigs;
import io.pgcdc.connector.testbed.StubConnection;
import org.junit.jupiter.api.Test;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.entry;

/**
 * The contract of {@link TrackedPostgresConnection}, on stub sessions: a session is labelled {@code
 * pgcdc-<role>} and counted in its owner's ledger from connect to close; a session the server ended
 * is replaced, counted, and labelled as before; close is idempotent, cancels a running statement
 * first, and after it the connection refuses use instead of reconnecting behind its owner; a
 * running statement can be cancelled from another thread while it holds the connection.
 */
class TrackedPostgresConnectionTest {

    private static final Duration BOUND = Duration.ofSeconds(5);

    private final ConnectionLedger ledger = new ConnectionLedger("reader 0");

    /** The sessions the factory opened, in order, and the configuration each was opened with. */
    private final List<StubConnection> sessions = new ArrayList<>();

    private final List<JdbcConfiguration> connects = new ArrayList<>();

    private final ConnectionFactory factory =
            config -> {
                connects.add(config);
                StubConnection session = StubConnection.open("session-" + sessions.size());
                sessions.add(session);
                return session.connection();
            };

    private TrackedPostgresConnection connection(String role) {
        return new TrackedPostgresConnection(jdbc(), role, ledger, factory);
    }

    private TrackedPostgresConnection connected(String role) throws SQLException {
        return TrackedPostgresConnection.connectCounted(connection(role));
    }

    private static JdbcConfiguration jdbc() {
        return JdbcConfiguration.create()
                .with(JdbcConfiguration.HOSTNAME, "stub")
                .with(JdbcConfiguration.PORT, 5432)
                .with(JdbcConfiguration.DATABASE, "shop")
                .with(JdbcConfiguration.USER, "cdc")
                .build();
    }

    @Test
    void aConnectedSessionIsLabelledAndCountedUnderItsRole() throws Exception {
        TrackedPostgresConnection connection = connected("snapshot-0");

        assertThat(connects).hasSize(1);
        assertThat(connects.get(0).getString("ApplicationName"))
                .as("application_name the session logs in with")
                .isEqualTo("pgcdc-snapshot-0");
        assertThat(connection.role()).isEqualTo("snapshot-0");
        assertThat(ledger.opened()).isEqualTo(1);
        assertThat(ledger.open()).isEqualTo(1);
        assertThat(ledger.openedByRole()).containsExactly(entry("snapshot-0", 1L));
        connection.close();
    }

    @Test
    void closeIsIdempotentAndCountsTheSessionClosedOnce() throws Exception {
        TrackedPostgresConnection connection = connected("snapshot-0");

        connection.close();
        connection.close();

        assertThat(sessions.get(0).isClosed()).isTrue();
        assertThat(sessions.get(0).count("close")).isEqualTo(1);
        assertThat(ledger.open()).isZero();
        assertThat(ledger.opened()).isEqualTo(1);
    }

    @Test
    void afterCloseTheConnectionRefusesUseAndNeverReconnects() throws Exception {
        TrackedPostgresConnection connection = connected("snapshot-0");
        connection.close();

        assertThatThrownBy(connection::connection)
                .isInstanceOf(SQLException.class)
                .hasMessage("pgcdc-snapshot-0 was closed by its owner");
        assertThatThrownBy(() -> connection.execute("SELECT 1"))
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("closed by its owner");
        assertThat(connects).as("sessions opened").hasSize(1);
        assertThat(ledger.opened()).isEqualTo(1);
        assertThat(ledger.open()).isZero();
    }

    @Test
    void aSessionTheServerEndedIsReplacedCountedAndRelabelled() throws Exception {
        TrackedPostgresConnection connection = connected("snapshot-0");
        connection.relabel("stream-0");
        assertThat(sessions.get(0).statements())
                .containsExactly("SET application_name = 'pgcdc-stream-0'");

        sessions.get(0).endByServer();
        connection.connection();

        assertThat(sessions).as("sessions opened").hasSize(2);
        assertThat(ledger.opened()).isEqualTo(2);
        assertThat(ledger.open()).as("the ended session no longer counts").isEqualTo(1);
        assertThat(ledger.openedByRole())
                .containsExactly(entry("snapshot-0", 1L), entry("stream-0", 1L));
        // the new session logs in with the constructor's label; the current role is set after
        assertThat(sessions.get(1).statements())
                .containsExactly("SET application_name = 'pgcdc-stream-0'");
        connection.close();
        assertThat(ledger.open()).isZero();
    }

    @Test
    void relabellingToTheCurrentRoleRunsNothing() throws Exception {
        TrackedPostgresConnection connection = connected("snapshot-0");

        connection.relabel("snapshot-0");

        assertThat(sessions.get(0).statements()).isEmpty();
        connection.close();
    }

    @Test
    void aFailedConnectClosesWhatItOpenedAndCountsNothing() {
        ConnectionFactory endedAtOnce =
                config -> {
                    StubConnection session = StubConnection.open("ended");
                    sessions.add(session);
                    session.endByServer(); // the login succeeded, the session is gone
                    return session.connection();
                };
        TrackedPostgresConnection connection =
                new TrackedPostgresConnection(jdbc(), "snapshot-0", ledger, endedAtOnce);

        assertThatThrownBy(() -> TrackedPostgresConnection.connectCounted(connection))
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("Unable to obtain a JDBC connection");

        assertThat(sessions.get(0).count("close")).as("the session's close").isEqualTo(1);
        assertThat(ledger.opened()).isZero();
        assertThat(ledger.open()).isZero();
        assertThatThrownBy(connection::connection).hasMessageContaining("closed by its owner");
    }

    @Test
    void closingAConnectionThatNeverConnectedOpensAndUncountsNothing() {
        TrackedPostgresConnection connection = connection("snapshot-0");

        connection.close();
        connection.cancelRunningStatement();

        assertThat(connects).as("sessions opened").isEmpty();
        assertThat(ledger.open()).isZero();
    }

    @Test
    void closeCancelsTheRunningStatementBeforeItClosesTheSession() throws Exception {
        TrackedPostgresConnection connection = connected("snapshot-0");

        connection.close();
        connection.cancelRunningStatement(); // a closed session is not asked again

        assertThat(
                        sessions.get(0).calls().stream()
                                .filter(call -> call.equals("cancelQuery") || call.equals("close"))
                                .collect(Collectors.toList()))
                .containsExactly("cancelQuery", "close");
    }

    /**
     * A relabel holds the connection's lock while its statement runs; another thread cancels the
     * statement all the same, the relabel fails, and the role stays what pg_stat_activity shows.
     */
    @Test
    void aStatementHoldingTheConnectionIsCancelledFromAnotherThread() throws Exception {
        TrackedPostgresConnection connection = connected("snapshot-0");
        StubConnection session = sessions.get(0).hangStatements();

        CompletableFuture<Void> relabel =
                CompletableFuture.runAsync(
                        () -> {
                            try {
                                connection.relabel("stream-0");
                            } catch (SQLException e) {
                                throw new IllegalStateException(e);
                            }
                        });
        assertThat(session.awaitStatementRunning(BOUND)).as("the statement runs").isTrue();
        connection.cancelRunningStatement();

        IllegalStateException failed =
                catchThrowableOfType(
                        IllegalStateException.class,
                        () -> {
                            try {
                                relabel.get(BOUND.toMillis(), TimeUnit.MILLISECONDS);
                            } catch (java.util.concurrent.ExecutionException e) {
                                throw e.getCause();
                            }
                        });
        assertThat(failed).hasRootCauseMessage("canceling statement due to user request");
        assertThat(session.count("cancelQuery")).isEqualTo(1);
        assertThat(connection.role()).as("the role after a failed relabel").isEqualTo("snapshot-0");
        connection.close();
        assertThat(ledger.open()).isZero();
    }

    /**
     * The real open, where no server listens: the failure names the session and the options to
     * check, and nothing is left open or counted.
     */
    @Test
    void openingWhereNoServerListensFailsNamingTheOptionsAndLeavesNothing() {
        assertThatThrownBy(
                        () ->
                                TrackedPostgresConnection.open(
                                        SourceConfigs.withoutServer(0), "snapshot-0", ledger))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("Cannot open a connection to PostgreSQL (pgcdc-snapshot-0)")
                .hasMessageContaining("'hostname', 'port'")
                .hasMessageNotContaining("cdc-secret");
        assertThat(ledger.opened()).isZero();
        assertThat(ledger.open()).isZero();
    }
}
