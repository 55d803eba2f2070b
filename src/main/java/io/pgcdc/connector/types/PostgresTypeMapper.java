package io.pgcdc.connector.types;

import org.apache.flink.annotation.Internal;
import org.apache.flink.cdc.common.types.DataType;
import org.apache.flink.cdc.common.types.DataTypes;

import io.debezium.relational.Column;
import io.debezium.relational.Table;
import io.pgcdc.connector.config.TypeMappingOptions;

import java.sql.Types;
import java.util.Locale;

/**
 * Maps PostgreSQL column types (as Debezium describes them) to Flink CDC {@link DataType}s. The
 * same mapping describes a table in its {@code CreateTableEvent} and lays out its rows, so the two
 * can never disagree.
 */
@Internal
public final class PostgresTypeMapper {

    /** PostgreSQL's numeric without a declared precision has up to 131072 digits; we keep 38. */
    public static final int MAX_DECIMAL_PRECISION = 38;

    /** Scale used for {@code numeric} declared without precision. */
    public static final int UNBOUNDED_NUMERIC_SCALE = 18;

    private static final int DEFAULT_TIME_PRECISION = 6;

    private PostgresTypeMapper() {}

    /** The Flink CDC type of a column, nullable unless the column is NOT NULL. */
    public static DataType toDataType(Table table, Column column, TypeMappingOptions options) {
        DataType type =
                map(table, column, column.typeName().toLowerCase(Locale.ROOT), true, options);
        return column.isOptional() ? type.nullable() : type.notNull();
    }

    /** Array element types Debezium 1.9 decodes (it leaves other arrays out of the row). */
    private static final java.util.Set<String> ARRAY_ELEMENTS =
            new java.util.HashSet<>(
                    java.util.Arrays.asList(
                            "bool",
                            "int2",
                            "int4",
                            "int8",
                            "oid",
                            "float4",
                            "float8",
                            "numeric",
                            "bpchar",
                            "char",
                            "varchar",
                            "text",
                            "uuid",
                            "json",
                            "jsonb",
                            "date",
                            "time",
                            "timetz",
                            "timestamp",
                            "timestamptz",
                            "inet",
                            "cidr",
                            "macaddr",
                            "macaddr8",
                            "int4range",
                            "int8range",
                            "numrange",
                            "tsrange",
                            "tstzrange",
                            "daterange",
                            "citext",
                            "ltree",
                            "hstore",
                            "geometry",
                            "geography"));

    private static DataType map(
            Table table,
            Column column,
            String typeName,
            boolean topLevel,
            TypeMappingOptions options) {
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
                if (!options.decimalMode().equals("precise")) {
                    return options.decimalMode().equals("double")
                            ? DataTypes.DOUBLE()
                            : DataTypes.STRING();
                }
                if (topLevel && length > 0 && length <= MAX_DECIMAL_PRECISION) {
                    return DataTypes.DECIMAL(length, Math.max(0, scale));
                }
                return DataTypes.DECIMAL(MAX_DECIMAL_PRECISION, UNBOUNDED_NUMERIC_SCALE);
            case "money":
                if (!options.decimalMode().equals("precise")) {
                    return options.decimalMode().equals("double")
                            ? DataTypes.DOUBLE()
                            : DataTypes.STRING();
                }
                return DataTypes.DECIMAL(MAX_DECIMAL_PRECISION, options.moneyFractionDigits());
            case "bit":
            case "varbit":
                // as Debezium decodes them: one bit is a boolean, more are bytes
                return length > 1 ? DataTypes.BYTES() : DataTypes.BOOLEAN();
            case "interval":
                return options.intervalMode().equals("string")
                        ? DataTypes.STRING()
                        : DataTypes.BIGINT(); // micros
            case "hstore":
                return options.hstoreMode().equals("map")
                        ? DataTypes.MAP(DataTypes.STRING(), DataTypes.STRING())
                        : DataTypes.STRING(); // JSON object
            case "inet":
            case "cidr":
            case "macaddr":
            case "macaddr8":
            case "ltree":
            case "int4range":
            case "int8range":
            case "numrange":
            case "tsrange":
            case "tstzrange":
            case "daterange":
            case "timetz": // ISO time with offset, e.g. 10:15:30.5+02:00
            case "point": // JSON, e.g. {"coordinates":"[[1.0,2.0]]","type":"Point","srid":0}
            case "geometry":
            case "geography":
                return DataTypes.STRING();
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
                return options.binaryMode().equals("bytes")
                        ? DataTypes.BYTES()
                        : DataTypes.STRING();
            case "date":
                return DataTypes.DATE();
            case "time":
                return DataTypes.TIME(timePrecision(column, topLevel));
            case "timestamp":
                return DataTypes.TIMESTAMP(timePrecision(column, topLevel));
            case "timestamptz":
                // Flink CDC 3.5's binary arrays cannot hold TIMESTAMP_LTZ elements: as array
                // elements they stay Debezium's ISO-8601 UTC text
                return topLevel
                        ? DataTypes.TIMESTAMP_LTZ(timePrecision(column, topLevel))
                        : DataTypes.STRING();
            default:
                if (topLevel
                        && typeName.startsWith("_")
                        && ARRAY_ELEMENTS.contains(typeName.substring(1))) {
                    return DataTypes.ARRAY(
                            map(table, column, typeName.substring(1), false, options));
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
