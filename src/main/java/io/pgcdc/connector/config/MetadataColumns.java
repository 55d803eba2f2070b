package io.pgcdc.connector.config;

import org.apache.flink.annotation.Internal;
import org.apache.flink.cdc.common.source.SupportedMetadataColumn;
import org.apache.flink.cdc.common.types.DataType;
import org.apache.flink.cdc.common.types.DataTypes;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * The metadata columns a pipeline can read from our events (via {@code metadata.list} or a
 * transform): the keys of a {@code DataChangeEvent}'s meta map.
 */
@Internal
public final class MetadataColumns {

    public static final String OP_TS = "op_ts";
    public static final String TABLE_NAME = "table_name";
    public static final String DATABASE_NAME = "database_name";
    public static final String SCHEMA_NAME = "schema_name";

    /**
     * The change's kind: {@code +I} (an insert or a snapshot row), {@code +U} (an update), {@code
     * -D}.
     */
    public static final String ROW_KIND = "row_kind";

    public static final List<String> ALL =
            Collections.unmodifiableList(
                    Arrays.asList(OP_TS, TABLE_NAME, DATABASE_NAME, SCHEMA_NAME, ROW_KIND));

    private MetadataColumns() {}

    /** Parses the comma separated {@code metadata.list} option. */
    public static List<String> parse(String optionKey, String value) {
        List<String> columns = new ArrayList<>();
        for (String part : value.split(",")) {
            String name = part.trim();
            if (name.isEmpty()) {
                continue;
            }
            if (!ALL.contains(name)) {
                throw new OptionException(
                        optionKey, "names unknown metadata column '" + name + "'; known: " + ALL);
            }
            if (!columns.contains(name)) {
                columns.add(name);
            }
        }
        return columns;
    }

    public static SupportedMetadataColumn[] supported() {
        return new SupportedMetadataColumn[] {
            new Column(OP_TS, DataTypes.BIGINT().notNull(), Long.class),
            new Column(TABLE_NAME, DataTypes.STRING().notNull(), String.class),
            new Column(DATABASE_NAME, DataTypes.STRING().notNull(), String.class),
            new Column(SCHEMA_NAME, DataTypes.STRING().notNull(), String.class),
            new Column(ROW_KIND, DataTypes.STRING().notNull(), String.class)
        };
    }

    /** One metadata column, read from the meta map of a data change event. */
    static final class Column implements SupportedMetadataColumn {
        private static final long serialVersionUID = 1L;

        private final String name;
        private final DataType type;
        private final Class<?> javaClass;

        Column(String name, DataType type, Class<?> javaClass) {
            this.name = name;
            this.type = type;
            this.javaClass = javaClass;
        }

        @Override
        public String getName() {
            return name;
        }

        @Override
        public DataType getType() {
            return type;
        }

        @Override
        public Class<?> getJavaClass() {
            return javaClass;
        }

        @Override
        public Object read(Map<String, String> metadata) {
            String value = metadata.get(name);
            if (value == null) {
                throw new IllegalArgumentException("Event has no metadata '" + name + "'");
            }
            return javaClass == Long.class ? (Object) Long.parseLong(value) : value;
        }
    }
}
