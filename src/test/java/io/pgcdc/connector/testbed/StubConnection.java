package io.pgcdc.connector.testbed;

import org.postgresql.PGConnection;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A JDBC session without a database, in the style of HikariCP's {@code StubConnection}, for tests
 * whose subject is the owner of a connection, not the database: a {@link Proxy} over {@link
 * Connection} and pgjdbc's {@link PGConnection} that records what its owner did to it (close,
 * rollback, autocommit, statements, cancels, {@code isClosed}) and can be told to fail or hang on
 * close, to have been ended by the server, or to hang its statements until they are cancelled.
 * Whatever it does not model fails with {@link UnsupportedOperationException}, so a test cannot
 * pass by a call it did not expect.
 *
 * <p>Thread-safe: an owner's close or cancel may come from another thread than its statements.
 */
public final class StubConnection {

    /** How long a hung close or statement waits at most, so that no test hangs for good. */
    private static final Duration HANG_BOUND = Duration.ofSeconds(30);

    private final String name;
    private final Connection proxy;
    private final List<String> calls = new ArrayList<>(); // guarded by this
    private final CountDownLatch released = new CountDownLatch(1);

    // guarded by this
    private boolean closed;
    private boolean endedByServer;
    private boolean autoCommit = true;
    private boolean valid = true;
    private SQLException closeFailure;
    private final Map<String, SQLException> failures = new HashMap<>();
    private boolean hangOnClose;
    private boolean hangStatements;
    private CountDownLatch cancelled = new CountDownLatch(1);
    private final CountDownLatch statementRunning = new CountDownLatch(1);

    private StubConnection(String name) {
        this.name = name;
        this.proxy =
                (Connection)
                        Proxy.newProxyInstance(
                                StubConnection.class.getClassLoader(),
                                new Class<?>[] {Connection.class, PGConnection.class},
                                new ConnectionHandler());
    }

    /** A new open session, in autocommit, valid. */
    public static StubConnection open(String name) {
        return new StubConnection(name);
    }

    /** The session as its owner sees it. */
    public Connection connection() {
        return proxy;
    }

    // ------------------------------------------------------------------------------------------
    // Behaviour
    // ------------------------------------------------------------------------------------------

    /** Its {@code close()} throws this (the session counts as closed all the same). */
    public synchronized StubConnection failOnClose(SQLException failure) {
        this.closeFailure = failure;
        return this;
    }

    /** Every call of the {@link Connection} method of that name throws this. */
    public synchronized StubConnection failOn(String method, SQLException failure) {
        failures.put(method, failure);
        return this;
    }

    /** Its {@code close()} hangs until {@link #release()}. */
    public synchronized StubConnection hangOnClose() {
        this.hangOnClose = true;
        return this;
    }

    /** Each statement hangs until the session's running statement is cancelled. */
    public synchronized StubConnection hangStatements() {
        this.hangStatements = true;
        return this;
    }

    /** In a transaction (autocommit off), as after a snapshot split's cursor. */
    public synchronized StubConnection inTransaction() {
        this.autoCommit = false;
        return this;
    }

    /** The server ended the session: closed without its owner's {@code close()}. */
    public synchronized void endByServer() {
        this.endedByServer = true;
        this.valid = false;
    }

    /** Lets every hung close and statement return. */
    public void release() {
        released.countDown();
    }

    // ------------------------------------------------------------------------------------------
    // What happened
    // ------------------------------------------------------------------------------------------

    /** Every call the owner made, in order, by method name. */
    public synchronized List<String> calls() {
        return new ArrayList<>(calls);
    }

    /** How often the owner called the method. */
    public synchronized int count(String method) {
        int count = 0;
        for (String call : calls) {
            if (call.equals(method)) {
                count++;
            }
        }
        return count;
    }

    /** The SQL of the statements the owner ran, in order. */
    public synchronized List<String> statements() {
        List<String> sql = new ArrayList<>();
        for (String call : calls) {
            if (call.startsWith("execute: ")) {
                sql.add(call.substring("execute: ".length()));
            }
        }
        return sql;
    }

    public synchronized boolean isClosed() {
        return closed || endedByServer;
    }

    public synchronized boolean autoCommit() {
        return autoCommit;
    }

    /** Waits until a statement runs (and, with {@link #hangStatements()}, hangs). */
    public boolean awaitStatementRunning(Duration timeout) throws InterruptedException {
        return statementRunning.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public String toString() {
        return "StubConnection{" + name + "}";
    }

    // ------------------------------------------------------------------------------------------
    // The proxies
    // ------------------------------------------------------------------------------------------

    private synchronized void record(String call) {
        calls.add(call);
    }

    private void checkOpen(String method) throws SQLException {
        if (isClosed()) {
            // pgjdbc's SQLSTATE for a closed connection: connection_does_not_exist
            throw new SQLException(name + " is closed (" + method + ")", "08003");
        }
    }

    private static Object objectMethod(Object self, Method method, Object[] args, String name) {
        switch (method.getName()) {
            case "toString":
                return name;
            case "hashCode":
                return System.identityHashCode(self);
            case "equals":
                return self == args[0];
            default:
                return null;
        }
    }

    private final class ConnectionHandler implements InvocationHandler {
        @Override
        public Object invoke(Object self, Method method, Object[] args) throws Throwable {
            if (method.getDeclaringClass() == Object.class) {
                return objectMethod(self, method, args, StubConnection.this.toString());
            }
            String call = method.getName();
            record(call);
            SQLException failure;
            synchronized (StubConnection.this) {
                failure = failures.get(call);
            }
            if (failure != null) {
                throw failure;
            }
            switch (call) {
                case "close":
                    return close();
                case "abort":
                    synchronized (StubConnection.this) {
                        closed = true;
                    }
                    return null;
                case "isClosed":
                    return isClosed();
                case "isValid":
                    synchronized (StubConnection.this) {
                        return !isClosed() && valid;
                    }
                case "getAutoCommit":
                    checkOpen(call);
                    return autoCommit();
                case "setAutoCommit":
                    checkOpen(call);
                    synchronized (StubConnection.this) {
                        autoCommit = (Boolean) args[0];
                    }
                    return null;
                case "rollback":
                case "commit":
                    checkOpen(call);
                    if (autoCommit()) {
                        // as pgjdbc: there is no transaction to end
                        throw new SQLException("Cannot " + call + " when autoCommit is enabled");
                    }
                    return null;
                case "createStatement":
                    checkOpen(call);
                    return statement();
                case "getMetaData":
                    checkOpen(call);
                    return metaData();
                case "cancelQuery":
                    cancel();
                    return null;
                case "unwrap":
                    if (((Class<?>) args[0]).isInstance(self)) {
                        return self;
                    }
                    throw new SQLException(name + " does not wrap " + args[0]);
                case "isWrapperFor":
                    return ((Class<?>) args[0]).isInstance(self);
                case "getWarnings":
                    return null;
                case "clearWarnings":
                    return null;
                default:
                    throw new UnsupportedOperationException(
                            "StubConnection does not model Connection." + call);
            }
        }
    }

    private Object close() throws SQLException {
        SQLException failure;
        boolean hang;
        synchronized (this) {
            failure = closeFailure;
            hang = hangOnClose;
        }
        if (hang) {
            await(released);
        }
        synchronized (this) {
            closed = true;
        }
        if (failure != null) {
            throw failure;
        }
        return null;
    }

    private void cancel() {
        CountDownLatch toRelease;
        synchronized (this) {
            toRelease = cancelled;
            cancelled = new CountDownLatch(1); // the next statement hangs again
        }
        toRelease.countDown();
    }

    /** Waits (bounded) for the latch; an interrupt ends the wait as a failure of the call. */
    private boolean await(CountDownLatch latch) throws SQLException {
        try {
            return latch.await(HANG_BOUND.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("Interrupted while " + name + " hung", e);
        }
    }

    /** Runs a statement: records it and, if told so, hangs until it is cancelled. */
    private void run(String sql) throws SQLException {
        checkOpen("execute");
        record("execute: " + sql);
        CountDownLatch cancel;
        boolean hang;
        synchronized (this) {
            cancel = cancelled;
            hang = hangStatements;
        }
        statementRunning.countDown();
        if (hang) {
            if (!await(cancel)) {
                throw new SQLException("A hung statement of " + name + " was never cancelled");
            }
            // pgjdbc's SQLSTATE for a statement cancelled on request: query_canceled
            throw new SQLException("canceling statement due to user request", "57014");
        }
    }

    private Statement statement() {
        return (Statement)
                Proxy.newProxyInstance(
                        StubConnection.class.getClassLoader(),
                        new Class<?>[] {Statement.class},
                        (self, method, args) -> {
                            if (method.getDeclaringClass() == Object.class) {
                                return objectMethod(self, method, args, name + "-statement");
                            }
                            switch (method.getName()) {
                                case "execute":
                                    run((String) args[0]);
                                    return false;
                                case "executeUpdate":
                                    run((String) args[0]);
                                    return 0;
                                case "executeQuery":
                                    run((String) args[0]);
                                    return emptyResultSet();
                                case "getConnection":
                                    return proxy;
                                case "close":
                                case "setQueryTimeout":
                                case "setFetchSize":
                                    return null;
                                case "isClosed":
                                    return false;
                                default:
                                    throw new UnsupportedOperationException(
                                            "StubConnection does not model Statement."
                                                    + method.getName());
                            }
                        });
    }

    private static ResultSet emptyResultSet() {
        return (ResultSet)
                Proxy.newProxyInstance(
                        StubConnection.class.getClassLoader(),
                        new Class<?>[] {ResultSet.class},
                        (self, method, args) -> {
                            switch (method.getName()) {
                                case "next":
                                    return false;
                                case "close":
                                    return null;
                                default:
                                    throw new UnsupportedOperationException(
                                            "StubConnection does not model ResultSet."
                                                    + method.getName());
                            }
                        });
    }

    /** Reports a PostgreSQL 17, which Debezium checks on every connect. */
    private DatabaseMetaData metaData() {
        return (DatabaseMetaData)
                Proxy.newProxyInstance(
                        StubConnection.class.getClassLoader(),
                        new Class<?>[] {DatabaseMetaData.class},
                        (self, method, args) -> {
                            switch (method.getName()) {
                                case "getDatabaseMajorVersion":
                                    return 17;
                                case "getDatabaseMinorVersion":
                                    return 0;
                                case "getConnection":
                                    return proxy;
                                default:
                                    throw new UnsupportedOperationException(
                                            "StubConnection does not model DatabaseMetaData."
                                                    + method.getName());
                            }
                        });
    }
}
