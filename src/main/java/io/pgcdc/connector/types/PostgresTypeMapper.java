package io.pgcdc.connector.types;

import org.apache.flink.cdc.common.types.DataType;
import org.apache.flink.cdc.common.types.DataTypes;

import io.debezium.relational.Column;
import io.debezium.relational.Table;

import java.sql.Types;
import java.util.Locale;

/**
 * Maps PostgreSQL column types (as Debezium describes them) to Flink CDC {@link DataType}s. The
 * same mapping describes a table in its {@code CreateTableEvent} and lays out its rows, so the two
 * can never disagree.
 */
public final class PostgresTypeMapper {

    /** PostgreSQL's numeric without a declared precision has up to 131072 digits; we keep 38. */
    public static final int MAX_DECIMAL_PRECISION = 38;

    /** Scale used for {@code numeric} declared without precision. */
    public static final int UNBOUNDED_NUMERIC_SCALE = 18;

    private static final int DEFAULT_TIME_PRECISION = 6;

    private PostgresTypeMapper() {}

    /** The Flink CDC type of a column, nullable unless the column is NOT NULL. */
    public static DataType toDataType(Table table, Column column) {
        DataType type = map(table, column, column.typeName().toLowerCase(Locale.ROOT), true);
        return column.isOptional() ? type.nullable() : type.notNull();
    }

    private static DataType map(Table table, Column column, String typeName, boolean topLevel) {
        if (topLevel && !column.enumValues().isEmpty()) {
            return DataTypes.STRING(); // enum labels
        }
        int length = column.length();
        int scale = column.scale().orElse(0);
        switch (typeName) {
            case "bool":
                return DataTypes.BOOLEAN();
            case "int2":
            case "smallserial":
                return DataTypes.SMALLINT();
            case "int4":
            case "serial":
                return DataTypes.INT();
            case "int8":
            case "bigserial":
            case "oid":
                return DataTypes.BIGINT();
            case "float4":
                return DataTypes.FLOAT();
            case "float8":
                return DataTypes.DOUBLE();
            case "numeric":
            case "decimal":
                if (topLevel && length > 0 && length <= MAX_DECIMAL_PRECISION) {
                    return DataTypes.DECIMAL(length, Math.max(0, scale));
                }
                return DataTypes.DECIMAL(MAX_DECIMAL_PRECISION, UNBOUNDED_NUMERIC_SCALE);
            case "bpchar":
            case "char":
                return topLevel && length > 0 && length < Integer.MAX_VALUE
                        ? DataTypes.CHAR(length)
                        : DataTypes.STRING();
            case "varchar":
                return topLevel && length > 0 && length < Integer.MAX_VALUE
                        ? DataTypes.VARCHAR(length)
                        : DataTypes.STRING();
            case "text":
            case "name":
            case "citext":
            case "uuid":
            case "json":
            case "jsonb":
            case "xml":
                return DataTypes.STRING();
            case "bytea":
                return DataTypes.BYTES();
            case "date":
                return DataTypes.DATE();
            case "time":
                return DataTypes.TIME(timePrecision(column, topLevel));
            case "timestamp":
                return DataTypes.TIMESTAMP(timePrecision(column, topLevel));
            case "timestamptz":
                return DataTypes.TIMESTAMP_LTZ(timePrecision(column, topLevel));
            default:
                if (topLevel && typeName.startsWith("_")) {
                    return DataTypes.ARRAY(map(table, column, typeName.substring(1), false));
                }
                if (topLevel && isCharacterJdbcType(column.jdbcType())) {
                    // enums (Debezium leaves their labels out of the column) and text domains
                    return DataTypes.STRING();
                }
                throw new UnsupportedColumnTypeException(
                        table.id().toString(), column.name(), column.typeName());
        }
    }

    private static boolean isCharacterJdbcType(int jdbcType) {
        return jdbcType == Types.VARCHAR || jdbcType == Types.CHAR || jdbcType == Types.LONGVARCHAR;
    }

    private static int timePrecision(Column column, boolean topLevel) {
        // Debezium reports the fractional-second precision of time types as the column's scale.
        int precision = column.scale().orElse(DEFAULT_TIME_PRECISION);
        if (!topLevel || precision < 0 || precision > 9) {
            return DEFAULT_TIME_PRECISION;
        }
        return precision;
    }
}
