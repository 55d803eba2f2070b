package io.pgcdc.connector.source.enumerator;

import org.apache.flink.cdc.connectors.base.source.assigner.splitter.ChunkSplitter;
import org.apache.flink.cdc.connectors.base.source.assigner.state.ChunkSplitterState;
import org.apache.flink.cdc.connectors.base.source.meta.split.SnapshotSplit;
import org.apache.flink.cdc.connectors.postgres.source.config.PostgresSourceConfig;

import io.debezium.relational.TableId;
import io.pgcdc.connector.source.PostgresDataSource;
import io.pgcdc.connector.testbed.PostgresExtension;
import io.pgcdc.connector.testbed.SourceConfigs;
import io.pgcdc.connector.testbed.TestDatabase;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/**
 * The chunk splitter of a text-keyed table (split unevenly: one query per chunk, from the previous
 * chunk's end) when no row is left at or after that end any more (FLINK-39197): the table's tail
 * was deleted while it was being split, or after the splitter's state was checkpointed. The next
 * chunk end is then NULL, either from the next-chunk-max query (nothing at or after the previous
 * end) or from the MIN query (only the previous end itself is left). The splitting must end with an
 * unbounded last chunk, every row in exactly one chunk; it must not fail (the enumerator would fail
 * on every restart again).
 */
@ExtendWith(PostgresExtension.class)
class ChunkSplitterNullEndITCase {

    private static final int CHUNK_SIZE = 10;

    /** Restored from a state whose next chunk starts at (or past) the rows that are left. */
    @ParameterizedTest(name = "restored at {0}: {1}")
    @CsvSource({
        "k060, no row at or after it (the chunk max is NULL)",
        "k049, only that row left (the MIN above it is NULL)"
    })
    void aRestoredStatePastTheRemainingRowsEndsWithAnUnboundedChunk(
            String nextChunkStart, String path, TestDatabase db) throws Exception {
        PostgresSourceConfig config = textKeyedTable(db);
        EnumeratorConnections connections = new EnumeratorConnections(config);
        EnumeratorDialect dialect = new EnumeratorDialect(config, connections);
        TableId table = dialect.discoverDataCollections(config).get(0);
        ChunkSplitter splitter =
                dialect.createChunkSplitter(
                        config,
                        new ChunkSplitterState(
                                table, ChunkSplitterState.ChunkBound.middleOf(nextChunkStart), 7));
        try {
            splitter.open();
            List<SnapshotSplit> splits = new ArrayList<>();
            assertThatCode(() -> splitToTheEnd(splitter, table, splits))
                    .as(
                            "splitting %s on from a restored chunk start %s (%s)",
                            table, nextChunkStart, path)
                    .doesNotThrowAnyException();
            assertThat(splits).as("the splits after the restore").hasSize(1);
            assertThat(splits.get(0).splitId()).as("the next chunk's id").isEqualTo(table + ":7");
            assertThat(splits.get(0).getSplitStart())
                    .as("its start")
                    .containsExactly(nextChunkStart);
            assertThat(splits.get(0).getSplitEnd()).as("its end: unbounded").isNull();
            assertThat(keysIn(db, splits))
                    .as("the rows from the restored chunk start on, each in one split")
                    .containsExactlyElementsOf(
                            keys(
                                    db,
                                    "SELECT k FROM t WHERE k >= '"
                                            + nextChunkStart
                                            + "' ORDER BY k"));
        } finally {
            splitter.close();
            connections.close();
        }
    }

    /** Two chunks are planned, then the table's tail is deleted, then the splitting goes on. */
    @ParameterizedTest(name = "{1}")
    @CsvSource({
        ">=, every row from the next chunk's start deleted (the chunk max is NULL)",
        ">, every row after the next chunk's start deleted (the MIN above it is NULL)"
    })
    void theTableTailDeletedWhileSplittingEndsWithAnUnboundedChunk(
            String deleted, String path, TestDatabase db) throws Exception {
        PostgresSourceConfig config = textKeyedTable(db);
        EnumeratorConnections connections = new EnumeratorConnections(config);
        EnumeratorDialect dialect = new EnumeratorDialect(config, connections);
        TableId table = dialect.discoverDataCollections(config).get(0);
        ChunkSplitter splitter = dialect.createChunkSplitter(config);
        try {
            splitter.open();
            List<SnapshotSplit> splits = new ArrayList<>(splitter.generateSplits(table));
            splits.addAll(splitter.generateSplits(table));
            assertThat(splitter.hasNextChunk()).as("unevenly split: one chunk at a time").isTrue();
            Object nextStart = splits.get(1).getSplitEnd()[0];
            db.execute("DELETE FROM t WHERE k " + deleted + " '" + nextStart + "'");

            assertThatCode(() -> splitToTheEnd(splitter, table, splits))
                    .as("splitting %s on from %s after %s", table, nextStart, path)
                    .doesNotThrowAnyException();
            assertThat(splits.get(splits.size() - 1).getSplitEnd())
                    .as("the last split's end: unbounded")
                    .isNull();
            assertThat(keysIn(db, splits))
                    .as("the table's rows, each in one split")
                    .containsExactlyElementsOf(keys(db, "SELECT k FROM t ORDER BY k"));
        } finally {
            splitter.close();
            connections.close();
        }
    }

    /** {@code t(k TEXT PRIMARY KEY)} with keys k000 to k049; a source config splitting it by 10. */
    private static PostgresSourceConfig textKeyedTable(TestDatabase db) {
        db.execute(
                "CREATE TABLE t (k TEXT PRIMARY KEY, v INT)",
                "INSERT INTO t SELECT 'k' || lpad(i::text, 3, '0'), i FROM generate_series(0, 49)"
                        + " i");
        Map<String, String> options = SourceConfigs.connection(db, db.name() + ".public.t");
        options.put("scan.incremental.snapshot.chunk.size", String.valueOf(CHUNK_SIZE));
        return ((PostgresDataSource) SourceConfigs.create(options)).configFactory().create(0);
    }

    /** Generates the table's remaining chunks, as the enumerator's splitting thread does. */
    private static void splitToTheEnd(
            ChunkSplitter splitter, TableId table, List<SnapshotSplit> splits) throws Exception {
        while (splitter.hasNextChunk() && splits.size() < 100) {
            splits.addAll(splitter.generateSplits(table));
        }
        assertThat(splitter.hasNextChunk()).as("the splitter finished the table").isFalse();
    }

    /** The keys each split's range [start, end) holds now, split after split. */
    private static List<String> keysIn(TestDatabase db, List<SnapshotSplit> splits)
            throws Exception {
        List<String> keys = new ArrayList<>();
        try (Connection c = db.connect();
                PreparedStatement q =
                        c.prepareStatement(
                                "SELECT k FROM t WHERE (?::text IS NULL OR k >= ?) AND (?::text IS"
                                        + " NULL OR k < ?) ORDER BY k")) {
            for (SnapshotSplit split : splits) {
                String start =
                        split.getSplitStart() == null ? null : (String) split.getSplitStart()[0];
                String end = split.getSplitEnd() == null ? null : (String) split.getSplitEnd()[0];
                q.setString(1, start);
                q.setString(2, start);
                q.setString(3, end);
                q.setString(4, end);
                try (ResultSet rs = q.executeQuery()) {
                    while (rs.next()) {
                        keys.add(rs.getString(1));
                    }
                }
            }
        }
        return keys;
    }

    private static List<String> keys(TestDatabase db, String select) {
        List<String> keys = new ArrayList<>();
        db.query(select).forEach(row -> keys.add(row.get(0)));
        return keys;
    }
}
