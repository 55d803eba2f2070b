package io.pgcdc.connector.source.split;

import org.apache.flink.cdc.connectors.base.source.meta.offset.Offset;
import org.apache.flink.cdc.connectors.base.source.meta.split.FinishedSnapshotSplitInfo;
import org.apache.flink.cdc.connectors.base.source.meta.split.SourceSplitBase;
import org.apache.flink.cdc.connectors.base.source.meta.split.SourceSplitSerializer;
import org.apache.flink.cdc.connectors.base.source.meta.split.StreamSplit;
import org.apache.flink.cdc.connectors.postgres.source.offset.PostgresOffset;
import org.apache.flink.cdc.connectors.postgres.source.offset.PostgresOffsetFactory;

import io.debezium.relational.TableId;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The stream split's finished snapshot splits, in checkpoints and in meta groups, keep their tables
 * whatever their names; state written in flink-cdc-base's version 6 is still read.
 */
@Tag("core")
class PostgresSplitSerializerTest {

    private static final PostgresOffsetFactory OFFSETS = new PostgresOffsetFactory();

    private static final List<TableId> TABLES =
            Arrays.asList(
                    new TableId(null, "public", "my table"),
                    new TableId(null, "public", "d.e"),
                    new TableId(null, "x.y", "z"),
                    new TableId(null, "public", "it's"),
                    new TableId(null, "schéma", "表"),
                    new TableId("db", "public", "orders"));

    @Test
    void aStreamSplitKeepsItsFinishedSplitsTables() throws Exception {
        PostgresSplitSerializer serializer = new PostgresSplitSerializer(OFFSETS);
        StreamSplit split = streamSplit();

        byte[] bytes = serializer.serialize(split);
        SourceSplitBase read = serializer.deserialize(serializer.getVersion(), bytes);

        assertThat(read.asStreamSplit().getFinishedSnapshotSplitInfos())
                .isEqualTo(split.getFinishedSnapshotSplitInfos());
        assertThat(read.asStreamSplit().getStartingOffset()).isEqualTo(split.getStartingOffset());
        assertThat(read.asStreamSplit().getTotalFinishedSplitSize()).isEqualTo(TABLES.size());
    }

    @Test
    void aMetaGroupKeepsItsTables() {
        PostgresSplitSerializer serializer = new PostgresSplitSerializer(OFFSETS);
        for (FinishedSnapshotSplitInfo info : streamSplit().getFinishedSnapshotSplitInfos()) {
            assertThat(serializer.deserialize(serializer.serializeFinishedSplitInfo(info)))
                    .isEqualTo(info);
        }
    }

    @Test
    void flinkCdcBaseVersion6IsRead() throws Exception {
        SourceSplitSerializer base = PostgresSplitSerializer.forEnumeratorState(OFFSETS);
        // flink-cdc-base writes the tables unquoted: only plain names survive its own format
        StreamSplit split =
                new StreamSplit(
                        "stream-split",
                        offset(10),
                        offset(20),
                        Collections.singletonList(info(new TableId(null, "public", "orders"), 0)),
                        Collections.emptyMap(),
                        1,
                        false,
                        true);

        SourceSplitBase read =
                new PostgresSplitSerializer(OFFSETS)
                        .deserialize(base.getVersion(), base.serialize(split));

        assertThat(base.getVersion()).isEqualTo(6);
        assertThat(read.asStreamSplit().getFinishedSnapshotSplitInfos())
                .isEqualTo(split.getFinishedSnapshotSplitInfos());
        assertThat(read.asStreamSplit().isSnapshotCompleted()).isTrue();
    }

    private static StreamSplit streamSplit() {
        List<FinishedSnapshotSplitInfo> infos = new ArrayList<>();
        for (int i = 0; i < TABLES.size(); i++) {
            infos.add(info(TABLES.get(i), i));
        }
        return new StreamSplit(
                "stream-split",
                offset(10),
                offset(20),
                infos,
                Collections.emptyMap(),
                infos.size(),
                false,
                true);
    }

    private static FinishedSnapshotSplitInfo info(TableId table, int chunk) {
        return new FinishedSnapshotSplitInfo(
                table,
                table + ":" + chunk,
                new Object[] {chunk},
                new Object[] {chunk + 1},
                offset(100 + chunk),
                OFFSETS);
    }

    private static Offset offset(long lsn) {
        return PostgresOffset.of(Collections.singletonMap("lsn", lsn));
    }
}
