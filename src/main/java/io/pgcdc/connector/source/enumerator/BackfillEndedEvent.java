package io.pgcdc.connector.source.enumerator;

import org.apache.flink.annotation.Internal;
import org.apache.flink.api.connector.source.SourceEvent;

/**
 * From the enumerator to the readers: every snapshot split has finished, so no reader needs its
 * backfill slot any more; each drops its own (or one of its name a failed earlier attempt left),
 * rather than keeping it, and every WAL segment written since, until the job ends. A reader gets it
 * again when it registers after a failover; newly added tables start a new snapshot phase, and its
 * end is announced again.
 */
@Internal
public final class BackfillEndedEvent implements SourceEvent {

    private static final long serialVersionUID = 1L;

    @Override
    public String toString() {
        return "BackfillEndedEvent";
    }
}
