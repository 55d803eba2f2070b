package io.pgcdc.connector.resource;

import org.apache.flink.annotation.Internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.annotation.concurrent.ThreadSafe;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A scope that owns resources: register any {@link AutoCloseable} with a label; closing the scope
 * closes them in reverse order of registration. Scopes nest (a task scope holds split scopes);
 * closing a scope closes its open children first.
 *
 * <p>Closing is idempotent, may happen on another thread than the one that opened (cancellation),
 * keeps going past a failing resource and reports every failure as a suppressed exception of one
 * {@link ResourceCloseException}. Each close is bounded: a resource whose close hangs longer than
 * the scope's timeout is logged and abandoned, so a hung close cannot hang the task. A child scope
 * still open when its parent closes was not closed by its owner: that is logged as a warning with
 * the stack trace of where the child was opened.
 */
@ThreadSafe
@Internal
public final class ResourceScope implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ResourceScope.class);

    private final String name;
    private final ResourceScope parent;
    private final Duration closeTimeout;
    private final ExecutorService closer;
    private final Throwable openedAt;
    private final Deque<Entry> entries = new ArrayDeque<>();
    private boolean closed;

    private ResourceScope(
            String name, ResourceScope parent, Duration closeTimeout, ExecutorService closer) {
        this.name = name;
        this.parent = parent;
        this.closeTimeout = closeTimeout;
        this.closer = closer;
        this.openedAt = new Throwable("scope '" + name + "' opened here");
    }

    /** A top-level scope; its closes run on daemon threads of its own, bounded by the timeout. */
    public static ResourceScope root(String name, Duration closeTimeout) {
        AtomicInteger threads = new AtomicInteger();
        ExecutorService closer =
                Executors.newCachedThreadPool(
                        runnable -> {
                            Thread thread =
                                    new Thread(
                                            runnable,
                                            "pgcdc-closer-"
                                                    + name
                                                    + "-"
                                                    + threads.incrementAndGet());
                            thread.setDaemon(true);
                            return thread;
                        });
        return new ResourceScope(name, null, Objects.requireNonNull(closeTimeout), closer);
    }

    /** Opens a nested scope, closed with this one at the latest. */
    public synchronized ResourceScope child(String childName) {
        checkOpen(childName);
        ResourceScope child = new ResourceScope(name + "/" + childName, this, closeTimeout, closer);
        entries.push(new Entry(childName, child, child.openedAt));
        return child;
    }

    /**
     * Registers a resource; it is closed when this scope closes unless {@link #release released}
     * earlier. Registering on a closed scope closes the resource at once and fails.
     */
    public <T extends AutoCloseable> T register(String label, T resource) {
        Objects.requireNonNull(resource, "resource");
        synchronized (this) {
            if (!closed) {
                entries.push(
                        new Entry(label, resource, new Throwable("'" + label + "' opened here")));
                return resource;
            }
        }
        IllegalStateException failure =
                new IllegalStateException(
                        "Scope '" + name + "' is closed; '" + label + "' was closed at once");
        try {
            resource.close();
        } catch (Exception e) {
            failure.addSuppressed(e);
        }
        throw failure;
    }

    /**
     * Closes one registered resource now (e.g. a connection replaced mid-scope) and forgets it.
     * Returns false if it was not registered here (or already closed with the scope).
     */
    public boolean release(AutoCloseable resource) throws ResourceCloseException {
        Entry entry = null;
        synchronized (this) {
            for (Entry candidate : entries) {
                if (candidate.resource == resource) {
                    entry = candidate;
                    break;
                }
            }
            if (entry == null) {
                return false;
            }
            entries.remove(entry);
        }
        List<Throwable> failures = new ArrayList<>();
        closeBounded(entry, failures);
        throwIfFailed(failures);
        return true;
    }

    /** Labels of the resources currently registered, most recent first. */
    public synchronized List<String> openResources() {
        List<String> labels = new ArrayList<>();
        for (Entry entry : entries) {
            labels.add(entry.label);
        }
        return labels;
    }

    public synchronized boolean isClosed() {
        return closed;
    }

    public String name() {
        return name;
    }

    @Override
    public void close() throws ResourceCloseException {
        List<Entry> toClose;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            toClose = new ArrayList<>(entries); // most recent first
            entries.clear();
        }
        List<Throwable> failures = new ArrayList<>();
        for (Entry entry : toClose) {
            if (entry.resource instanceof ResourceScope) {
                ResourceScope child = (ResourceScope) entry.resource;
                if (!child.isClosed()) {
                    LOG.warn(
                            "Scope '{}' was still open when '{}' closed; closing it now",
                            child.name,
                            name,
                            child.openedAt);
                }
            }
            closeBounded(entry, failures);
        }
        if (parent != null) {
            parent.forget(this);
        } else {
            closer.shutdown();
        }
        throwIfFailed(failures);
    }

    private synchronized void forget(ResourceScope child) {
        entries.removeIf(entry -> entry.resource == child);
    }

    private void closeBounded(Entry entry, List<Throwable> failures) {
        if (entry.resource instanceof ResourceScope) {
            // a child closes its own resources, each bounded; no extra thread needed
            try {
                entry.resource.close();
            } catch (ResourceCloseException e) {
                failures.add(e);
            } catch (Exception e) {
                failures.add(e);
            }
            return;
        }
        CompletableFuture<Void> closing;
        try {
            closing =
                    CompletableFuture.runAsync(
                            () -> {
                                try {
                                    entry.resource.close();
                                } catch (Exception e) {
                                    throw new CloseFailure(e);
                                }
                            },
                            closer);
        } catch (RuntimeException rejected) {
            // the closer pool is gone (root closed concurrently): close on this thread
            try {
                entry.resource.close();
            } catch (Exception e) {
                failures.add(labelled(entry, e));
            }
            return;
        }
        try {
            closing.get(closeTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            LOG.warn(
                    "Closing '{}' in scope '{}' did not finish within {}; abandoning it",
                    entry.label,
                    name,
                    closeTimeout,
                    entry.openedAt);
            failures.add(
                    new TimeoutException(
                            "Closing '" + entry.label + "' timed out after " + closeTimeout));
        } catch (ExecutionException e) {
            Throwable cause =
                    e.getCause() instanceof CloseFailure ? e.getCause().getCause() : e.getCause();
            failures.add(labelled(entry, cause));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failures.add(labelled(entry, e));
        }
    }

    private static Throwable labelled(Entry entry, Throwable cause) {
        return new IllegalStateException("Closing '" + entry.label + "' failed: " + cause, cause);
    }

    private void throwIfFailed(List<Throwable> failures) throws ResourceCloseException {
        if (failures.isEmpty()) {
            return;
        }
        ResourceCloseException exception = new ResourceCloseException(name, failures.size());
        failures.forEach(exception::addSuppressed);
        throw exception;
    }

    private void checkOpen(String what) {
        if (closed) {
            throw new IllegalStateException(
                    "Scope '" + name + "' is closed; cannot open '" + what + "'");
        }
    }

    @Override
    public String toString() {
        return "ResourceScope{" + name + ", open=" + openResources() + "}";
    }

    private static final class Entry {
        final String label;
        final AutoCloseable resource;
        final Throwable openedAt;

        Entry(String label, AutoCloseable resource, Throwable openedAt) {
            this.label = label;
            this.resource = resource;
            this.openedAt = openedAt;
        }
    }

    /** Carries a checked close failure out of the closer thread. */
    private static final class CloseFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        CloseFailure(Exception cause) {
            super(cause);
        }
    }
}
