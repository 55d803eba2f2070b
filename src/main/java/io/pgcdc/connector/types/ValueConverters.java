package io.pgcdc.connector.types;

import org.apache.flink.annotation.Internal;
import org.apache.flink.cdc.common.data.DateData;
import org.apache.flink.cdc.common.data.DecimalData;
import org.apache.flink.cdc.common.data.GenericArrayData;
import org.apache.flink.cdc.common.data.GenericMapData;
import org.apache.flink.cdc.common.data.LocalZonedTimestampData;
import org.apache.flink.cdc.common.data.TimeData;
import org.apache.flink.cdc.common.data.TimestampData;
import org.apache.flink.cdc.common.data.binary.BinaryStringData;
import org.apache.flink.cdc.common.types.ArrayType;
import org.apache.flink.cdc.common.types.DataType;
import org.apache.flink.cdc.common.types.DecimalType;

import io.debezium.data.SpecialValueDecimal;
import io.debezium.data.VariableScaleDecimal;
import io.debezium.time.MicroTime;
import io.debezium.time.MicroTimestamp;
import io.debezium.time.NanoTime;
import io.debezium.time.NanoTimestamp;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Converters from the values Debezium puts into Kafka Connect structs to Flink CDC's internal data
 * structures. The target type comes from {@link PostgresTypeMapper}; the Connect schema of the
 * value tells which of Debezium's encodings (time precision mode, decimal handling mode) was used,
 * so every mode lands on the same Flink CDC type.
 */
@Internal
public final class ValueConverters {

    /** Converts one non-null Connect value. */
    @FunctionalInterface
    public interface ValueConverter {
        Object convert(Object value, Schema schema);
    }

    private ValueConverters() {}

    /** A converter for values of the given target type; {@code where} names the column. */
    public static ValueConverter forType(DataType type, String where) {
        switch (type.getTypeRoot()) {
            case BOOLEAN:
                return (v, s) -> v instanceof Boolean ? v : ((Number) v).intValue() != 0;
            case TINYINT:
                return (v, s) -> (byte) exactly((Number) v, Byte.MIN_VALUE, Byte.MAX_VALUE);
            case SMALLINT:
                return (v, s) ->
                        v instanceof Short
                                ? v
                                : (short) exactly((Number) v, Short.MIN_VALUE, Short.MAX_VALUE);
            case INTEGER:
                return (v, s) ->
                        v instanceof Integer
                                ? v
                                : (int) exactly((Number) v, Integer.MIN_VALUE, Integer.MAX_VALUE);
            case BIGINT:
                return (v, s) -> ((Number) v).longValue();
            case FLOAT:
                return (v, s) -> ((Number) v).floatValue();
            case DOUBLE:
                return (v, s) -> ((Number) v).doubleValue();
            case DECIMAL:
                DecimalType decimal = (DecimalType) type;
                return (v, s) -> toDecimal(v, s, decimal, where);
            case CHAR:
            case VARCHAR:
                return (v, s) ->
                        BinaryStringData.fromString(
                                v instanceof Struct
                                        ? GeometryStrings.toJson((Struct) v)
                                        : v.toString());
            case MAP: // hstore with debezium.hstore.handling.mode: map
                return (v, s) -> toStringMap(v);
            case BINARY:
            case VARBINARY:
                return (v, s) -> toBytes(v);
            case DATE:
                return (v, s) -> toDate(v);
            case TIME_WITHOUT_TIME_ZONE:
                return ValueConverters::toTime;
            case TIMESTAMP_WITHOUT_TIME_ZONE:
                return ValueConverters::toTimestamp;
            case TIMESTAMP_WITH_LOCAL_TIME_ZONE:
                return (v, s) -> toLocalZonedTimestamp(v);
            case ARRAY:
                ValueConverter element =
                        forType(((ArrayType) type).getElementType(), where + " (array element)");
                return (v, s) -> toArray(v, s, element);
            default:
                throw new IllegalArgumentException("No converter for " + type + " of " + where);
        }
    }

    /**
     * A wider integer (e.g. after the column's type was widened) only if it fits, never wrapped.
     */
    private static long exactly(Number value, long min, long max) {
        long l = value.longValue();
        if (l < min
                || l > max
                || (value instanceof Double || value instanceof Float)
                        && l != value.doubleValue()) {
            throw new IllegalArgumentException(
                    "Value " + value + " does not fit the column's type");
        }
        return l;
    }

    private static Object toDecimal(Object value, Schema schema, DecimalType type, String where) {
        BigDecimal decimal;
        if (value instanceof BigDecimal) {
            decimal = (BigDecimal) value;
        } else if (value instanceof byte[]) {
            decimal = Decimal.toLogical(schema, (byte[]) value);
        } else if (value instanceof Struct) {
            SpecialValueDecimal special = VariableScaleDecimal.toLogical((Struct) value);
            if (!special.getDecimalValue().isPresent()) {
                return null; // NaN and infinities have no DECIMAL representation
            }
            decimal = special.getDecimalValue().get();
        } else if (value instanceof Number) {
            decimal = new BigDecimal(value.toString());
        } else {
            String text = value.toString();
            if (text.equals("NaN") || text.endsWith("Infinity")) {
                return null;
            }
            decimal = new BigDecimal(text);
        }
        DecimalData data =
                DecimalData.fromBigDecimal(decimal, type.getPrecision(), type.getScale());
        if (data == null) {
            throw new ArithmeticException(
                    "Value "
                            + decimal.toPlainString()
                            + " of "
                            + where
                            + " does not fit "
                            + type
                            + "; declare the column as numeric(p,s) with p <= 38");
        }
        return data;
    }

    /** The bytes of a Connect binary value (byte[] or ByteBuffer). */
    static byte[] toBytes(Object value) {
        if (value instanceof byte[]) {
            return (byte[]) value;
        }
        if (value instanceof ByteBuffer) {
            ByteBuffer buffer = ((ByteBuffer) value).duplicate();
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            return bytes;
        }
        throw new IllegalArgumentException("Unexpected binary value of " + value.getClass());
    }

    private static DateData toDate(Object value) {
        if (value instanceof Number) {
            return DateData.fromEpochDay(((Number) value).intValue());
        }
        if (value instanceof Date) {
            return DateData.fromLocalDate(
                    ((Date) value).toInstant().atZone(ZoneOffset.UTC).toLocalDate());
        }
        return DateData.fromIsoLocalDateString(value.toString());
    }

    private static TimeData toTime(Object value, Schema schema) {
        String name = schema.name() == null ? "" : schema.name();
        if (value instanceof Long) {
            long raw = (Long) value;
            if (NanoTime.SCHEMA_NAME.equals(name)) {
                return TimeData.fromNanoOfDay(raw);
            }
            if (MicroTime.SCHEMA_NAME.equals(name)) {
                return TimeData.fromMicroOfDay(raw);
            }
            return TimeData.fromMillisOfDay((int) raw);
        }
        if (value instanceof Integer) {
            return TimeData.fromMillisOfDay((Integer) value);
        }
        if (value instanceof Date) {
            long millis = ((Date) value).getTime();
            return TimeData.fromMillisOfDay((int) Math.floorMod(millis, 86_400_000L));
        }
        return TimeData.fromIsoLocalTimeString(value.toString());
    }

    private static TimestampData toTimestamp(Object value, Schema schema) {
        String name = schema.name() == null ? "" : schema.name();
        if (value instanceof Long) {
            long raw = (Long) value;
            if (MicroTimestamp.SCHEMA_NAME.equals(name)) {
                return TimestampData.fromMillis(
                        Math.floorDiv(raw, 1000L), (int) Math.floorMod(raw, 1000L) * 1000);
            }
            if (NanoTimestamp.SCHEMA_NAME.equals(name)) {
                return TimestampData.fromMillis(
                        Math.floorDiv(raw, 1_000_000L), (int) Math.floorMod(raw, 1_000_000L));
            }
            return TimestampData.fromMillis(raw);
        }
        if (value instanceof Date) {
            return TimestampData.fromMillis(((Date) value).getTime());
        }
        throw new IllegalArgumentException("Unexpected timestamp value of " + value.getClass());
    }

    private static LocalZonedTimestampData toLocalZonedTimestamp(Object value) {
        if (value instanceof String) {
            return LocalZonedTimestampData.fromInstant(IsoTimestamps.parseInstant((String) value));
        }
        if (value instanceof Date) {
            return LocalZonedTimestampData.fromEpochMillis(((Date) value).getTime());
        }
        if (value instanceof Instant) {
            return LocalZonedTimestampData.fromInstant((Instant) value);
        }
        throw new IllegalArgumentException("Unexpected timestamptz value of " + value.getClass());
    }

    /** Flink CDC reads DATE and TIME array elements as int (epoch day, millisecond of day). */
    private static Object arrayElement(Object value) {
        if (value instanceof DateData) {
            return ((DateData) value).toEpochDay();
        }
        if (value instanceof TimeData) {
            return ((TimeData) value).toMillisOfDay();
        }
        return value;
    }

    private static GenericMapData toStringMap(Object value) {
        Map<Object, Object> converted = new HashMap<>();
        for (Map.Entry<?, ?> entry : ((Map<?, ?>) value).entrySet()) {
            converted.put(
                    BinaryStringData.fromString(String.valueOf(entry.getKey())),
                    entry.getValue() == null
                            ? null
                            : BinaryStringData.fromString(entry.getValue().toString()));
        }
        return new GenericMapData(converted);
    }

    private static GenericArrayData toArray(Object value, Schema schema, ValueConverter element) {
        List<?> list = (List<?>) value;
        Schema elementSchema = schema.valueSchema();
        Object[] converted = new Object[list.size()];
        for (int i = 0; i < converted.length; i++) {
            Object item = list.get(i);
            converted[i] = item == null ? null : arrayElement(element.convert(item, elementSchema));
        }
        return new GenericArrayData(converted);
    }
}
