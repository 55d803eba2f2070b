package io.pgcdc.connector.source.enumerator;

import org.apache.flink.api.connector.source.ReaderInfo;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.mocks.MockSplitEnumeratorContext;
import org.apache.flink.cdc.connectors.base.source.assigner.state.PendingSplitsState;
import org.apache.flink.cdc.connectors.base.source.meta.events.FinishedSnapshotSplitsReportEvent;
import org.apache.flink.cdc.connectors.base.source.meta.offset.Offset;
import org.apache.flink.cdc.connectors.base.source.meta.split.SnapshotSplit;
import org.apache.flink.cdc.connectors.base.source.meta.split.SourceSplitBase;
import org.apache.flink.cdc.connectors.base.source.meta.split.StreamSplit;
import org.apache.flink.cdc.connectors.postgres.source.offset.PostgresOffsetFactory;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.util.function.ThrowingRunnable;

import io.pgcdc.connector.config.SlotNames;
import io.pgcdc.connector.source.PostgresDataSource;
import io.pgcdc.connector.source.PostgresPipelineSource;
import io.pgcdc.connector.testbed.NothingLeft;
import io.pgcdc.connector.testbed.PostgresExtension;
import io.pgcdc.connector.testbed.SourceConfigs;
import io.pgcdc.connector.testbed.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/**
 * {@link PgcdcSourceEnumerator} on its own, in the style of the enumerator tests of Flink's Kafka
 * connector: Flink's {@link MockSplitEnumeratorContext} stands in for the source coordinator (every
 * enumerator call runs on its coordinator thread), a real PostgreSQL for the database. The
 * contracts tested:
 *
 * <ul>
 *   <li>creating the enumerator opens nothing; {@code start()} opens one session, labelled {@code
 *       pgcdc-enumerator} in pg_stat_activity, that prepares the database (the publication, the
 *       job's slot, none of this job's stale backfill slots left) and plans the splits on it;
 *   <li>a registered reader's split requests get the snapshot splits, which cover the table once; a
 *       reader that is not registered gets nothing; at parallelism 2 the stream split comes only
 *       after a checkpoint completed once every snapshot split finished, and the readers are told
 *       that the backfill has ended, also a reader that registers again;
 *   <li>the state survives a checkpoint round trip unchanged: a split given back by its reader is
 *       handed out again, the splits finished before the checkpoint are not;
 *   <li>{@code close()} leaves no session of ours, is idempotent, and a split request that still
 *       comes after it opens and assigns nothing.
 * </ul>
 *
 * <p>A start that fails is {@code EnumeratorStartITCase}'s subject, a checkpoint taken while a
 * table is being split {@code EnumeratorStateITCase}'s.
 */
@ExtendWith(PostgresExtension.class)
class PgcdcSourceEnumeratorITCase {

    private static final Duration TIMEOUT = Duration.ofMinutes(1);

    /** The application_name of the enumerator's session, as documented. */
    private static final String ENUMERATOR_LABEL = "pgcdc-enumerator";

    private static final Offset FINISHED =
            new PostgresOffsetFactory().newOffset(Collections.singletonMap("lsn", "1"));

    private static final int ROWS = 100;

    @Test
    void startOpensOneLabelledSessionAndCloseLeavesNone(TestDatabase db) throws Exception {
        createOrders(db);
        PostgresPipelineSource source = source(db, true);
        try (MockSplitEnumeratorContext<SourceSplitBase> context =
                new MockSplitEnumeratorContext<>(1)) {
            SplitEnumerator<SourceSplitBase, PendingSplitsState> enumerator =
                    source.createEnumerator(context);
            assertThat(db.connectorSessions()).as("sessions once it was created").isEmpty();

            run(context, enumerator::start);

            assertThat(labels(db)).as("sessions once it started").containsExactly(ENUMERATOR_LABEL);
            assertThat(db.slots()).as("slots once it started").containsExactly(db.slotName());
            assertThat(
                            db.queryLong(
                                    "SELECT count(*) FROM pg_publication WHERE pubname ="
                                            + " 'dbz_publication'"))
                    .as("the job's publication")
                    .isEqualTo(1);

            register(context, enumerator, 0);
            SourceSplitBase first = nextSplit(context, enumerator, 0);
            assertThat(first.isSnapshotSplit()).as("split %s", first).isTrue();
            // the reader fails: its split is left to assign whatever the planning has done
            run(context, () -> enumerator.addSplitsBack(List.of(first), 0));

            enumerator.close(); // from the test thread: close may come from any thread
            assertThat(
                            TestDatabase.await(
                                    NothingLeft.DEADLINE, () -> db.connectorSessions().isEmpty()))
                    .as("sessions after the close: %s", db.connectorSessions())
                    .isTrue();
            assertThatCode(enumerator::close).as("a second close").doesNotThrowAnyException();

            // a split is left to assign, but the enumerator is closed
            run(context, () -> enumerator.handleSplitRequest(0, "localhost"));
            assertThat(assigned(context, 0)).as("splits assigned after the close").hasSize(1);
            assertThat(db.connectorSessions()).as("sessions after a late request").isEmpty();
        }
    }

    /**
     * Backfill slots of this job that an earlier run left inactive are dropped at start; another
     * job's, and a slot whose name only looks like one, stay.
     */
    @Test
    void startDropsOnlyThisJobsStaleBackfillSlots(TestDatabase db) throws Exception {
        createOrders(db);
        PostgresPipelineSource source = source(db, true);
        String stale = SlotNames.backfill(db.slotName(), db.name(), 5);
        String anotherJobs = SlotNames.backfill("another_job", db.name(), 0);
        String lookalike = db.backfillSlotPrefix() + "x";
        for (String slot : new String[] {stale, anotherJobs, lookalike}) {
            db.execute("SELECT pg_create_logical_replication_slot('" + slot + "', 'pgoutput')");
        }
        try (MockSplitEnumeratorContext<SourceSplitBase> context =
                new MockSplitEnumeratorContext<>(1)) {
            SplitEnumerator<SourceSplitBase, PendingSplitsState> enumerator =
                    source.createEnumerator(context);
            run(context, enumerator::start);

            assertThat(db.slots())
                    .as("slots once it started")
                    .containsExactlyInAnyOrder(db.slotName(), anotherJobs, lookalike);
            enumerator.close();
        }
    }

    @Test
    void registeredReadersGetTheSnapshotSplitsThenTheStreamSplitAfterACheckpoint(TestDatabase db)
            throws Exception {
        createOrders(db);
        PostgresPipelineSource source = source(db, false);
        try (MockSplitEnumeratorContext<SourceSplitBase> context =
                new MockSplitEnumeratorContext<>(2)) {
            SplitEnumerator<SourceSplitBase, PendingSplitsState> enumerator =
                    source.createEnumerator(context);
            run(context, enumerator::start);
            register(context, enumerator, 0);

            // reader 1 failed and is not registered (yet): its request is dropped
            run(context, () -> enumerator.handleSplitRequest(1, "localhost"));
            assertThat(nextSplit(context, enumerator, 0).isSnapshotSplit()).isTrue();
            assertThat(assigned(context, 1)).as("splits of an unregistered reader").isEmpty();

            register(context, enumerator, 1);
            List<SnapshotSplit> snapshot = new ArrayList<>();
            snapshot.add(assigned(context, 0).get(0).asSnapshotSplit());
            finish(context, enumerator, 0, snapshot.get(0));
            int maxSessions = 1;
            for (int reader = 1; snapshot.get(snapshot.size() - 1).getSplitEnd() != null; ) {
                SourceSplitBase split = nextSplit(context, enumerator, reader);
                assertThat(split.isSnapshotSplit()).as("split %s", split).isTrue();
                snapshot.add(split.asSnapshotSplit());
                finish(context, enumerator, reader, split);
                maxSessions = Math.max(maxSessions, db.connectorSessions().size());
                reader = 1 - reader;
            }
            assertCoverTheTableOnce(snapshot);
            assertThat(assigned(context, 1)).as("splits of reader 1").isNotEmpty();
            assertThat(maxSessions).as("sessions at most while the splits were handed out").isOne();
            assertThat(labels(db)).containsExactly(ENUMERATOR_LABEL);

            // every snapshot split finished; at parallelism 2 the stream waits for a checkpoint
            int before = assigned(context, 0).size();
            run(context, () -> enumerator.handleSplitRequest(0, "localhost"));
            assertThat(assigned(context, 0)).as("splits before a checkpoint").hasSize(before);
            assertThat(backfillEndedEvents(context, 0)).isZero();

            call(context, () -> enumerator.snapshotState(1));
            run(context, () -> enumerator.notifyCheckpointComplete(1));

            assertThat(assigned(context, 0)).hasSize(before + 1);
            SourceSplitBase stream = assigned(context, 0).get(before);
            assertThat(stream.isStreamSplit()).as("split %s", stream).isTrue();
            assertThat(((StreamSplit) stream).getFinishedSnapshotSplitInfos())
                    .as("the finished snapshot splits the stream split knows")
                    .hasSize(snapshot.size());
            assertThat(backfillEndedEvents(context, 0)).as("backfill ends, reader 0").isOne();
            assertThat(backfillEndedEvents(context, 1)).as("backfill ends, reader 1").isOne();

            // reader 1 fails over and registers again
            context.unregisterReader(1);
            register(context, enumerator, 1);
            assertThat(backfillEndedEvents(context, 1)).as("told again, reader 1").isEqualTo(2);

            enumerator.close();
            assertThat(
                            TestDatabase.await(
                                    NothingLeft.DEADLINE, () -> db.connectorSessions().isEmpty()))
                    .as("sessions after the close: %s", db.connectorSessions())
                    .isTrue();
        }
    }

    /**
     * A checkpoint taken once every split was handed out, all but the last two finished: restored
     * from it, the enumerator's state is the checkpoint's; the second last split, given back by its
     * failed reader, is handed out again, and no other; once it and the last one (which its reader
     * restored with) finished, the stream split knows every finished split, those finished before
     * the checkpoint included.
     */
    @Test
    void theStateSurvivesACheckpointAndASplitGivenBackIsHandedOutAgain(TestDatabase db)
            throws Exception {
        createOrders(db);
        PostgresPipelineSource source = source(db, true);
        SimpleVersionedSerializer<PendingSplitsState> serializer =
                source.getEnumeratorCheckpointSerializer();
        List<SnapshotSplit> snapshot = new ArrayList<>();
        PendingSplitsState checkpoint;
        try (MockSplitEnumeratorContext<SourceSplitBase> context =
                new MockSplitEnumeratorContext<>(1)) {
            SplitEnumerator<SourceSplitBase, PendingSplitsState> enumerator =
                    source.createEnumerator(context);
            run(context, enumerator::start);
            register(context, enumerator, 0);
            // until the last chunk: the planning has ended, the state no longer changes by itself
            do {
                snapshot.add(nextSplit(context, enumerator, 0).asSnapshotSplit());
            } while (snapshot.get(snapshot.size() - 1).getSplitEnd() != null);
            for (SnapshotSplit split : snapshot.subList(0, snapshot.size() - 2)) {
                finish(context, enumerator, 0, split);
            }

            byte[] written = serializer.serialize(call(context, () -> enumerator.snapshotState(1)));
            checkpoint = serializer.deserialize(serializer.getVersion(), written);
            enumerator.close();
        }
        assertThat(TestDatabase.await(NothingLeft.DEADLINE, () -> db.connectorSessions().isEmpty()))
                .as("sessions after the first enumerator closed: %s", db.connectorSessions())
                .isTrue();

        try (MockSplitEnumeratorContext<SourceSplitBase> context =
                new MockSplitEnumeratorContext<>(1)) {
            SplitEnumerator<SourceSplitBase, PendingSplitsState> restored =
                    source.restoreEnumerator(context, checkpoint);
            run(context, restored::start);
            assertThat(labels(db)).as("sessions once restored").containsExactly(ENUMERATOR_LABEL);
            assertThat(call(context, () -> restored.snapshotState(2)))
                    .as("the restored enumerator's state")
                    .isEqualTo(checkpoint);

            register(context, restored, 0);
            SnapshotSplit givenBack = snapshot.get(snapshot.size() - 2);
            SnapshotSplit stillRead = snapshot.get(snapshot.size() - 1);
            run(context, () -> restored.addSplitsBack(List.of(givenBack), 0));
            SourceSplitBase again = nextSplit(context, restored, 0);
            assertThat(again.splitId())
                    .as("the split handed out again")
                    .isEqualTo(givenBack.splitId());
            finish(context, restored, 0, again);
            finish(context, restored, 0, stillRead);

            SourceSplitBase stream = nextSplit(context, restored, 0);
            assertThat(stream.isStreamSplit()).as("the next split: %s", stream).isTrue();
            assertThat(((StreamSplit) stream).getFinishedSnapshotSplitInfos())
                    .as("the finished snapshot splits the stream split knows")
                    .hasSize(snapshot.size());
            assertCoverTheTableOnce(snapshot);
            restored.close();
        }
    }

    // ------------------------------------------------------------------------------------------

    private static void createOrders(TestDatabase db) {
        db.execute(
                "CREATE TABLE orders (id INT PRIMARY KEY, note TEXT)",
                "INSERT INTO orders SELECT i, 'order ' || i FROM generate_series(1, "
                        + ROWS
                        + ") i");
    }

    private static PostgresPipelineSource source(TestDatabase db, boolean skipBackfill) {
        Map<String, String> options = SourceConfigs.connection(db, db.name() + ".public.orders");
        options.put("scan.incremental.snapshot.chunk.size", "10");
        options.put("scan.incremental.snapshot.backfill.skip", String.valueOf(skipBackfill));
        return ((PostgresDataSource) SourceConfigs.create(options)).createSource();
    }

    /** The application_name of each session of ours on the database, sorted. */
    private static List<String> labels(TestDatabase db) {
        return db.connectorSessions().values().stream()
                .map(session -> session.substring(0, session.indexOf('|')))
                .sorted()
                .collect(Collectors.toList());
    }

    /** The reader registers with the coordinator, which tells the enumerator. */
    private static void register(
            MockSplitEnumeratorContext<SourceSplitBase> context,
            SplitEnumerator<SourceSplitBase, PendingSplitsState> enumerator,
            int reader)
            throws Exception {
        context.registerReader(new ReaderInfo(reader, "localhost"));
        run(context, () -> enumerator.addReader(reader));
    }

    /** The reader asks for a split and gets one, within the timeout: the planning may lag. */
    private static SourceSplitBase nextSplit(
            MockSplitEnumeratorContext<SourceSplitBase> context,
            SplitEnumerator<SourceSplitBase, PendingSplitsState> enumerator,
            int reader)
            throws Exception {
        int before = assigned(context, reader).size();
        run(context, () -> enumerator.handleSplitRequest(reader, "localhost"));
        assertThat(TestDatabase.await(TIMEOUT, () -> assignedNow(context, reader) > before))
                .as("a split for reader %d", reader)
                .isTrue();
        return assigned(context, reader).get(before);
    }

    /** The reader reports the snapshot split finished. */
    private static void finish(
            MockSplitEnumeratorContext<SourceSplitBase> context,
            SplitEnumerator<SourceSplitBase, PendingSplitsState> enumerator,
            int reader,
            SourceSplitBase split)
            throws Exception {
        FinishedSnapshotSplitsReportEvent report =
                new FinishedSnapshotSplitsReportEvent(
                        Collections.singletonMap(split.splitId(), FINISHED));
        run(context, () -> enumerator.handleSourceEvent(reader, report));
    }

    /** The splits assigned to the reader so far, in order (read on the coordinator thread). */
    private static List<SourceSplitBase> assigned(
            MockSplitEnumeratorContext<SourceSplitBase> context, int reader) throws Exception {
        return call(
                context,
                () ->
                        context.getSplitsAssignmentSequence().stream()
                                .flatMap(
                                        assignment ->
                                                assignment
                                                        .assignment()
                                                        .getOrDefault(reader, List.of())
                                                        .stream())
                                .collect(Collectors.toList()));
    }

    private static int assignedNow(
            MockSplitEnumeratorContext<SourceSplitBase> context, int reader) {
        try {
            return assigned(context, reader).size();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static long backfillEndedEvents(
            MockSplitEnumeratorContext<SourceSplitBase> context, int reader) throws Exception {
        return context.getSentSourceEvent().getOrDefault(reader, List.of()).stream()
                .filter(event -> event instanceof BackfillEndedEvent)
                .count();
    }

    private static List<String> ids(List<SnapshotSplit> splits) {
        return splits.stream().map(SnapshotSplit::splitId).collect(Collectors.toList());
    }

    /**
     * The splits are the orders table's chunks, each once, in a row from an unbounded start to an
     * unbounded end.
     */
    private static void assertCoverTheTableOnce(List<SnapshotSplit> splits) {
        List<SnapshotSplit> inOrder = new ArrayList<>(splits);
        inOrder.sort(Comparator.comparingInt(PgcdcSourceEnumeratorITCase::chunkNumber));
        assertThat(ids(inOrder)).as("split ids").doesNotHaveDuplicates();
        assertThat(inOrder).allSatisfy(s -> assertThat(s.getTableId().table()).isEqualTo("orders"));
        assertThat(inOrder.get(0).getSplitStart()).as("the first chunk's start").isNull();
        assertThat(inOrder.get(inOrder.size() - 1).getSplitEnd())
                .as("the last chunk's end")
                .isNull();
        for (int i = 1; i < inOrder.size(); i++) {
            assertThat(inOrder.get(i).getSplitStart())
                    .as("the start of %s", inOrder.get(i).splitId())
                    .containsExactly(inOrder.get(i - 1).getSplitEnd());
        }
        assertThat(inOrder.size()).as("chunks of %d rows by 10", ROWS).isGreaterThan(2);
    }

    /** The chunk's number: split ids are {@code <table id>:<n>}. */
    private static int chunkNumber(SnapshotSplit split) {
        String id = split.splitId();
        return Integer.parseInt(id.substring(id.lastIndexOf(':') + 1));
    }

    /** Runs the action on the coordinator thread, as Flink calls an enumerator, and waits. */
    private static void run(
            MockSplitEnumeratorContext<SourceSplitBase> context, ThrowingRunnable<Exception> action)
            throws Exception {
        call(
                context,
                () -> {
                    action.run();
                    return null;
                });
    }

    /** Calls the action on the coordinator thread and waits for its result. */
    private static <T> T call(
            MockSplitEnumeratorContext<SourceSplitBase> context, Callable<T> action)
            throws Exception {
        FutureTask<T> task = new FutureTask<>(action);
        context.runInCoordinatorThread(task);
        try {
            return task.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception ? (Exception) e.getCause() : e;
        }
    }
}
