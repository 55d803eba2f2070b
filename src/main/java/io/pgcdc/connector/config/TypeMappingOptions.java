package io.pgcdc.connector.config;

import org.apache.flink.annotation.Internal;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The Debezium settings that change a column's Flink CDC type, read from the {@code debezium.*}
 * options: a table's declared schema and its rows follow the same settings. Debezium's own defaults
 * apply when an option is not set.
 */
@Internal
public final class TypeMappingOptions implements Serializable {

    private static final long serialVersionUID = 1L;

    public static final String DECIMAL_HANDLING_MODE = "decimal.handling.mode";
    public static final String INTERVAL_HANDLING_MODE = "interval.handling.mode";
    public static final String HSTORE_HANDLING_MODE = "hstore.handling.mode";
    public static final String BINARY_HANDLING_MODE = "binary.handling.mode";
    public static final String TIME_PRECISION_MODE = "time.precision.mode";
    public static final String MONEY_FRACTION_DIGITS = "money.fraction.digits";

    public static final String UNAVAILABLE_VALUE_PLACEHOLDER = "unavailable.value.placeholder";

    private final String decimalMode;
    private final String intervalMode;
    private final String hstoreMode;
    private final String binaryMode;
    private final int moneyFractionDigits;

    /** What Debezium puts in place of a TOASTed value an update left unchanged. */
    public final String unavailablePlaceholder;

    private final byte[] unavailablePlaceholderBytes;

    /** An unchanged TOASTed value without a before image. */
    public final ToastMode toastMode;

    private TypeMappingOptions(
            String decimalMode,
            String intervalMode,
            String hstoreMode,
            String binaryMode,
            int moneyFractionDigits,
            String unavailablePlaceholder,
            ToastMode toastMode) {
        this.decimalMode = decimalMode;
        this.intervalMode = intervalMode;
        this.hstoreMode = hstoreMode;
        this.binaryMode = binaryMode;
        this.moneyFractionDigits = moneyFractionDigits;
        this.unavailablePlaceholder = unavailablePlaceholder;
        this.unavailablePlaceholderBytes =
                unavailablePlaceholder.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        this.toastMode = toastMode;
    }

    /** {@code decimal.handling.mode}: precise, double or string. */
    public String decimalMode() {
        return decimalMode;
    }

    /** {@code interval.handling.mode}: numeric or string. */
    public String intervalMode() {
        return intervalMode;
    }

    /** {@code hstore.handling.mode}: json or map. */
    public String hstoreMode() {
        return hstoreMode;
    }

    /** {@code binary.handling.mode}: bytes, base64, base64-url-safe or hex. */
    public String binaryMode() {
        return binaryMode;
    }

    /** {@code money.fraction.digits}. */
    public int moneyFractionDigits() {
        return moneyFractionDigits;
    }

    /** Whether a raw Debezium value is the unavailable-value placeholder (text or bytes). */
    public boolean isUnavailablePlaceholder(Object raw) {
        if (raw instanceof String) {
            return raw.equals(unavailablePlaceholder);
        }
        if (raw instanceof byte[]) {
            return java.util.Arrays.equals((byte[]) raw, unavailablePlaceholderBytes);
        }
        if (raw instanceof java.nio.ByteBuffer) {
            return ((java.nio.ByteBuffer) raw)
                    .equals(java.nio.ByteBuffer.wrap(unavailablePlaceholderBytes));
        }
        if (raw instanceof List) {
            List<?> list = (List<?>) raw;
            return list.size() == 1 && isUnavailablePlaceholder(list.get(0));
        }
        return false;
    }

    /**
     * Reads the settings from the Debezium properties (keys without the {@code debezium.} prefix).
     *
     * @throws IllegalArgumentException naming the option and its valid values
     */
    public static TypeMappingOptions from(Map<String, String> debezium) {
        return from(debezium, ToastMode.FAIL);
    }

    /** As {@link #from(Map)}, with the {@code toast.unchanged-value.mode}. */
    public static TypeMappingOptions from(Map<String, String> debezium, ToastMode toastMode) {
        String digits = debezium.getOrDefault(MONEY_FRACTION_DIGITS, "2").trim();
        int moneyDigits;
        try {
            moneyDigits = Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            moneyDigits = -1;
        }
        if (moneyDigits < 0 || moneyDigits > 38) {
            throw new IllegalArgumentException(
                    "'debezium."
                            + MONEY_FRACTION_DIGITS
                            + "' is '"
                            + digits
                            + "'; expected a number from 0 to 38");
        }
        choice(
                debezium,
                TIME_PRECISION_MODE,
                "adaptive",
                "adaptive",
                "adaptive_time_microseconds",
                "connect");
        return new TypeMappingOptions(
                choice(debezium, DECIMAL_HANDLING_MODE, "precise", "precise", "double", "string"),
                choice(debezium, INTERVAL_HANDLING_MODE, "numeric", "numeric", "string"),
                choice(debezium, HSTORE_HANDLING_MODE, "json", "json", "map"),
                choice(
                        debezium,
                        BINARY_HANDLING_MODE,
                        "bytes",
                        "bytes",
                        "base64",
                        "base64-url-safe",
                        "hex"),
                moneyDigits,
                debezium.getOrDefault(
                        UNAVAILABLE_VALUE_PLACEHOLDER, "__debezium_unavailable_value"),
                toastMode);
    }

    private static String choice(
            Map<String, String> debezium, String key, String fallback, String... allowed) {
        String value = debezium.getOrDefault(key, fallback).trim().toLowerCase(Locale.ROOT);
        List<String> valid = Arrays.asList(allowed);
        if (!valid.contains(value)) {
            throw new IllegalArgumentException(
                    "'debezium."
                            + key
                            + "' is '"
                            + debezium.get(key)
                            + "'; expected one of "
                            + valid);
        }
        return value;
    }

    @Override
    public String toString() {
        return "decimal="
                + decimalMode
                + ", interval="
                + intervalMode
                + ", hstore="
                + hstoreMode
                + ", binary="
                + binaryMode
                + ", money digits="
                + moneyFractionDigits;
    }
}
