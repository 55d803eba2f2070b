package io.pgcdc.connector.resource;

import org.apache.flink.annotation.Internal;

/** One or more resources of a scope failed to close; each failure is a suppressed exception. */
@Internal
public class ResourceCloseException extends Exception {

    private static final long serialVersionUID = 1L;

    public ResourceCloseException(String scope, int failures) {
        super(
                "Closing scope '"
                        + scope
                        + "' failed for "
                        + failures
                        + " resource(s); see suppressed");
    }
}
