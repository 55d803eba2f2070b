package io.pgcdc.connector.source.split;

import org.apache.flink.annotation.Internal;
import org.apache.flink.cdc.connectors.base.source.meta.offset.Offset;
import org.apache.flink.cdc.connectors.base.source.meta.offset.OffsetFactory;
import org.apache.flink.cdc.connectors.base.source.meta.split.FinishedSnapshotSplitInfo;
import org.apache.flink.cdc.connectors.base.source.meta.split.SourceSplitBase;
import org.apache.flink.cdc.connectors.base.source.meta.split.SourceSplitSerializer;
import org.apache.flink.cdc.connectors.base.source.meta.split.StreamSplit;
import org.apache.flink.cdc.connectors.base.utils.SerializerUtils;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.util.FlinkRuntimeException;

import io.debezium.relational.TableId;
import io.debezium.relational.history.TableChanges.TableChange;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The split serializer: flink-cdc-base's format (versions 1 to 6 are read as it reads them) with
 * one change in version 7, the table of each finished snapshot split a stream split carries.
 *
 * <p>flink-cdc-base writes that table as its unquoted {@code schema.table} and parses it back, so a
 * table named {@code my table}, {@code d.e} or in schema {@code x.y} came back as another table or
 * failed the reader ({@code Unexpected input}). Version 7 writes the catalog, schema and table
 * names separately. The same form carries the stream split's meta groups from the enumerator to the
 * readers ({@link #serializeFinishedSplitInfo}, {@link #deserialize(byte[])}), which flink-cdc-base
 * sends unquoted too. Snapshot splits keep version 6's bytes: they carry their table quoted.
 *
 * <p>Stateless; any thread.
 */
@Internal
public final class PostgresSplitSerializer extends SourceSplitSerializer {

    private static final long serialVersionUID = 1L;

    static final int VERSION = 7;

    /** The newest version whose layout this class leaves to flink-cdc-base. */
    private static final int BASE_VERSION = 6;

    private static final int STREAM_SPLIT_FLAG = 2;

    private final OffsetFactory offsetFactory;

    public PostgresSplitSerializer(OffsetFactory offsetFactory) {
        this.offsetFactory = offsetFactory;
    }

    @Override
    public OffsetFactory getOffsetFactory() {
        return offsetFactory;
    }

    @Override
    public int getVersion() {
        return VERSION;
    }

    @Override
    public byte[] serialize(SourceSplitBase split) throws IOException {
        if (split.isSnapshotSplit()) {
            return super.serialize(split);
        }
        StreamSplit stream = split.asStreamSplit();
        DataOutputSerializer out = new DataOutputSerializer(256);
        out.writeInt(STREAM_SPLIT_FLAG);
        out.writeUTF(stream.splitId());
        writeOffsetPosition(stream.getStartingOffset(), out);
        writeOffsetPosition(stream.getEndingOffset(), out);
        out.writeInt(stream.getFinishedSnapshotSplitInfos().size());
        for (FinishedSnapshotSplitInfo info : stream.getFinishedSnapshotSplitInfos()) {
            writeFinishedSplitInfo(info, out);
        }
        writeTableSchemas(stream.getTableSchemas(), out);
        out.writeInt(stream.getTotalFinishedSplitSize());
        out.writeBoolean(stream.isSuspended());
        out.writeBoolean(stream.isSnapshotCompleted());
        return out.getCopyOfBuffer();
    }

    @Override
    public SourceSplitBase deserialize(int version, byte[] serialized) throws IOException {
        if (version < VERSION) {
            return super.deserialize(version, serialized);
        }
        if (version > VERSION) {
            throw new IOException(
                    "Unknown split serializer version "
                            + version
                            + ": the state was written by a newer version of this connector");
        }
        DataInputDeserializer in = new DataInputDeserializer(serialized);
        if (in.readInt() != STREAM_SPLIT_FLAG) {
            return super.deserializeSplit(BASE_VERSION, serialized);
        }
        String splitId = in.readUTF();
        Offset startingOffset = readOffsetPosition(in);
        Offset endingOffset = readOffsetPosition(in);
        int finished = in.readInt();
        List<FinishedSnapshotSplitInfo> infos = new ArrayList<>(finished);
        for (int i = 0; i < finished; i++) {
            infos.add(readFinishedSplitInfo(in));
        }
        Map<TableId, TableChange> tableSchemas = readTableSchemas(BASE_VERSION, in);
        int totalFinishedSplitSize = in.readInt();
        boolean suspended = in.readBoolean();
        boolean snapshotCompleted = in.readBoolean();
        return new StreamSplit(
                splitId,
                startingOffset,
                endingOffset,
                infos,
                tableSchemas,
                totalFinishedSplitSize,
                suspended,
                snapshotCompleted);
    }

    /** A finished snapshot split's info as one element of a stream split meta group. */
    public byte[] serializeFinishedSplitInfo(FinishedSnapshotSplitInfo info) {
        try {
            DataOutputSerializer out = new DataOutputSerializer(128);
            writeFinishedSplitInfo(info, out);
            return out.getCopyOfBuffer();
        } catch (IOException e) {
            throw new FlinkRuntimeException("Cannot serialize " + info, e);
        }
    }

    /** Reads an element of a stream split meta group ({@link #serializeFinishedSplitInfo}). */
    @Override
    public FinishedSnapshotSplitInfo deserialize(byte[] serialized) {
        try {
            return readFinishedSplitInfo(new DataInputDeserializer(serialized));
        } catch (IOException e) {
            throw new FlinkRuntimeException("Cannot read a finished snapshot split's info", e);
        }
    }

    private void writeFinishedSplitInfo(FinishedSnapshotSplitInfo info, DataOutputSerializer out)
            throws IOException {
        TableId table = info.getTableId();
        writeNullable(table.catalog(), out);
        writeNullable(table.schema(), out);
        out.writeUTF(table.table());
        out.writeUTF(info.getSplitId());
        out.writeUTF(SerializerUtils.rowToSerializedString(info.getSplitStart()));
        out.writeUTF(SerializerUtils.rowToSerializedString(info.getSplitEnd()));
        writeOffsetPosition(info.getHighWatermark(), out);
    }

    private FinishedSnapshotSplitInfo readFinishedSplitInfo(DataInputDeserializer in)
            throws IOException {
        String catalog = readNullable(in);
        String schema = readNullable(in);
        TableId table = new TableId(catalog, schema, in.readUTF());
        String splitId = in.readUTF();
        Object[] splitStart = SerializerUtils.serializedStringToRow(in.readUTF());
        Object[] splitEnd = SerializerUtils.serializedStringToRow(in.readUTF());
        return new FinishedSnapshotSplitInfo(
                table, splitId, splitStart, splitEnd, readOffsetPosition(in), offsetFactory);
    }

    /**
     * flink-cdc-base's format, version 6, for the enumerator's checkpoint: it holds snapshot splits
     * only, and flink-cdc-base's state serializer reads parts of it by the split serializer's
     * version, which it knows up to 6.
     */
    public static SourceSplitSerializer forEnumeratorState(OffsetFactory offsetFactory) {
        return new BaseFormat(offsetFactory);
    }

    private static final class BaseFormat extends SourceSplitSerializer {
        private static final long serialVersionUID = 1L;
        private final OffsetFactory offsetFactory;

        BaseFormat(OffsetFactory offsetFactory) {
            this.offsetFactory = offsetFactory;
        }

        @Override
        public OffsetFactory getOffsetFactory() {
            return offsetFactory;
        }
    }

    private static void writeNullable(String value, DataOutputSerializer out) throws IOException {
        out.writeBoolean(value != null);
        if (value != null) {
            out.writeUTF(value);
        }
    }

    private static String readNullable(DataInputDeserializer in) throws IOException {
        return in.readBoolean() ? in.readUTF() : null;
    }
}
