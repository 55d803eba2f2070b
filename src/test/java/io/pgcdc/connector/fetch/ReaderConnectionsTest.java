package io.pgcdc.connector.fetch;

import io.pgcdc.connector.config.SlotNames;
import io.pgcdc.connector.resource.ResourceCloseException;
import io.pgcdc.connector.resource.ResourceScope;
import io.pgcdc.connector.testbed.SourceConfigs;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * What {@link ReaderConnections} guarantees without a server: it opens nothing until asked; closing
 * it closes every fetch-task context scope still open, newest first, goes on past a close that
 * fails (a slot drop that cannot connect) and reports it, is idempotent, and afterwards nothing can
 * be opened on it; {@link ReaderConnections#beginClose()} only marks the close. What it does with a
 * live session is tested against a server ({@code PgcdcFetchTaskContextITCase}).
 */
class ReaderConnectionsTest {

    private static final int SUBTASK = 3;

    private final ReaderConnections reader =
            new ReaderConnections(SourceConfigs.withoutServer(SUBTASK));

    private final List<String> closed = new CopyOnWriteArrayList<>();

    private AutoCloseable resource(String name) {
        return () -> closed.add(name);
    }

    @Test
    void itsRolesAndBackfillSlotAreThoseOfItsSubtask() throws Exception {
        assertThat(reader.role("snapshot")).isEqualTo("snapshot-3");
        assertThat(reader.backfillSlotName())
                .isEqualTo(SlotNames.backfill("job_slot", "shop", SUBTASK));
        reader.close();
    }

    @Test
    void closingBeforeAnythingOpenedOpensNothingAndIsIdempotent() throws Exception {
        reader.close();
        reader.close();

        assertThat(reader.closing()).isTrue();
        assertThat(reader.ledger().opened()).as("connections opened").isZero();
        assertThat(reader.ledger().open()).isZero();
    }

    @Test
    void closeClosesEveryContextScopeStillOpenNewestFirst() throws Exception {
        ResourceScope first = reader.openContextScope("context-1");
        first.register("cursor-1", resource("cursor-1"));
        ResourceScope second = reader.openContextScope("context-2");
        second.register("cursor-2", resource("cursor-2"));

        reader.close();

        assertThat(closed).containsExactly("cursor-2", "cursor-1");
        assertThat(first.isClosed()).isTrue();
        assertThat(second.isClosed()).isTrue();
    }

    @Test
    void nothingOpensAfterClose() throws Exception {
        reader.close();

        assertThatThrownBy(() -> reader.openContextScope("late"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("is closed");
    }

    @Test
    void beginCloseMarksTheCloseAndClosesNothingYet() throws Exception {
        ResourceScope context = reader.openContextScope("context-1");
        context.register("cursor", resource("cursor"));

        reader.beginClose();

        assertThat(reader.closing()).isTrue();
        assertThat(closed).as("closed by beginClose").isEmpty();
        assertThat(context.isClosed()).isFalse();
        reader.close();
        assertThat(closed).containsExactly("cursor");
    }

    /**
     * The job's slot is to be dropped at close, and no server can be reached: the drop fails (its
     * own short connection is refused), the context scope registered before it is closed all the
     * same, and the failure is reported, once however often the drop was asked for.
     */
    @Test
    void aSlotDropThatCannotConnectIsReportedAndTheRestStillCloses() {
        ResourceScope context = reader.openContextScope("context-1");
        context.register("cursor", resource("cursor"));
        reader.dropSlotOnClose("job_slot");
        reader.dropSlotOnClose("job_slot");

        ResourceCloseException failure =
                catchThrowableOfType(ResourceCloseException.class, reader::close);

        assertThat(closed).as("closed after the failing drop").containsExactly("cursor");
        assertThat(failure.getSuppressed())
                .singleElement()
                .satisfies(
                        dropFailure ->
                                assertThat(dropFailure)
                                        .hasMessageContaining("'slot job_slot'")
                                        .hasMessageContaining("pgcdc-stream-3"));
        assertThat(reader.ledger().open()).as("connections left open").isZero();
        assertThat(reader.ledger().opened()).isZero();
    }
}
