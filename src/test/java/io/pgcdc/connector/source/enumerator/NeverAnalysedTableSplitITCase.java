package io.pgcdc.connector.source.enumerator;

import org.apache.flink.cdc.connectors.base.source.assigner.splitter.ChunkSplitter;
import org.apache.flink.cdc.connectors.base.source.assigner.state.ChunkSplitterState;
import org.apache.flink.cdc.connectors.base.source.meta.split.SnapshotSplit;
import org.apache.flink.cdc.connectors.postgres.source.config.PostgresSourceConfig;

import io.debezium.relational.TableId;
import io.pgcdc.connector.source.PostgresDataSource;
import io.pgcdc.connector.testbed.LogCapture;
import io.pgcdc.connector.testbed.PostgresExtension;
import io.pgcdc.connector.testbed.SourceConfigs;
import io.pgcdc.connector.testbed.TestDatabase;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A table never analysed has no row estimate ({@code reltuples} -1, or 0 before PostgreSQL 14), so
 * flink-cdc-base splits it unevenly: a query per chunk and a 100 ms pause before the first, per
 * table (a whole database of freshly loaded tables paid 10 s per 100 tables). An integer key whose
 * whole range fits in one chunk cannot hold more rows than a chunk: such a table is one chunk,
 * planned without the uneven path. A wider range still takes it.
 */
@ExtendWith(PostgresExtension.class)
class NeverAnalysedTableSplitITCase {

    private static final int CHUNK_SIZE = 100;
    private static final String SPLITTER =
            "org.apache.flink.cdc.connectors.base.source.assigner.splitter"
                    + ".JdbcSourceChunkSplitter";

    @Test
    void aKeyRangeWithinOneChunkIsOneChunkWithoutTheUnevenPath(TestDatabase db) throws Exception {
        db.execute(
                "CREATE TABLE t (id INT PRIMARY KEY, v TEXT)",
                "INSERT INTO t SELECT g, 'v' FROM generate_series(1, " + CHUNK_SIZE + ") g");
        assertThat(db.queryLong("SELECT reltuples::bigint FROM pg_class WHERE relname = 't'"))
                .as("no row estimate")
                .isLessThanOrEqualTo(0);

        List<SnapshotSplit> splits;
        try (LogCapture log = LogCapture.logger(SPLITTER, Level.INFO)) {
            splits = splitAll(db);
            assertThat(log.text())
                    .as("the splitter's log")
                    .doesNotContain("Use unevenly-sized chunks");
        }
        assertThat(splits).hasSize(1);
        assertThat(splits.get(0).getSplitStart()).as("its start: unbounded").isNull();
        assertThat(splits.get(0).getSplitEnd()).as("its end: unbounded").isNull();
    }

    @Test
    void aWiderKeyRangeIsStillSplitUnevenly(TestDatabase db) throws Exception {
        db.execute(
                "CREATE TABLE t (id INT PRIMARY KEY, v TEXT)",
                "INSERT INTO t SELECT g, 'v' FROM generate_series(1, 150) g",
                "INSERT INTO t SELECT g, 'v' FROM generate_series(10001, 10150) g");

        List<SnapshotSplit> splits = splitAll(db);

        assertThat(splits).as("300 rows in chunks of %s", CHUNK_SIZE).hasSizeGreaterThan(2);
        assertThat(rowsIn(db, splits))
                .as("every row in exactly one split")
                .isEqualTo(db.queryLong("SELECT count(*) FROM t"));
    }

    private static List<SnapshotSplit> splitAll(TestDatabase db) throws Exception {
        Map<String, String> options = SourceConfigs.connection(db, db.name() + ".public.t");
        options.put("scan.incremental.snapshot.chunk.size", String.valueOf(CHUNK_SIZE));
        PostgresSourceConfig config =
                ((PostgresDataSource) SourceConfigs.create(options)).configFactory().create(0);
        List<SnapshotSplit> splits = new ArrayList<>();
        try (EnumeratorConnections connections = new EnumeratorConnections(config)) {
            EnumeratorDialect dialect = new EnumeratorDialect(config, connections);
            TableId table = dialect.discoverDataCollections(config).get(0);
            ChunkSplitter splitter =
                    dialect.createChunkSplitter(
                            config, ChunkSplitterState.NO_SPLITTING_TABLE_STATE);
            splitter.open();
            try {
                do {
                    splits.addAll(splitter.generateSplits(table));
                } while (splitter.hasNextChunk() && splits.size() < 100);
            } finally {
                splitter.close();
            }
        }
        return splits;
    }

    /** The rows the splits' ranges hold together, each range counted on its own. */
    private static long rowsIn(TestDatabase db, List<SnapshotSplit> splits) {
        long rows = 0;
        for (SnapshotSplit split : splits) {
            String start =
                    split.getSplitStart() == null ? null : split.getSplitStart()[0].toString();
            String end = split.getSplitEnd() == null ? null : split.getSplitEnd()[0].toString();
            rows +=
                    db.queryLong(
                            "SELECT count(*) FROM t WHERE "
                                    + (start == null ? "true" : "id >= " + start)
                                    + " AND "
                                    + (end == null ? "true" : "id < " + end));
        }
        return rows;
    }
}
