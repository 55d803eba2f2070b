package io.pgcdc.connector.resource;

import org.apache.flink.annotation.Internal;

/** Closing several owned things in a given order, on every path. */
@Internal
public final class Closeables {

    private Closeables() {}

    /**
     * Closes each in the order given, going on past failures; the first failure is thrown with the
     * later ones suppressed.
     */
    public static void closeInOrder(AutoCloseable... closeables) throws Exception {
        Exception failure = null;
        for (AutoCloseable closeable : closeables) {
            try {
                closeable.close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
