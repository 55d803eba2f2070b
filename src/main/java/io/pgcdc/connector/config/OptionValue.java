package io.pgcdc.connector.config;

import org.apache.flink.annotation.Internal;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** A constant of an enumerated option, named in the option as {@link #option()} returns. */
@Internal
public interface OptionValue {

    /** The value as written in the option. */
    String option();

    /**
     * The constant of {@code type} that {@code value} names, whatever its case and surrounding
     * spaces; else an {@link OptionException} naming the option and every valid value.
     */
    static <E extends Enum<E> & OptionValue> E parse(Class<E> type, String key, String value) {
        String wanted = value.trim().toLowerCase(Locale.ROOT);
        E[] constants = type.getEnumConstants();
        for (E constant : constants) {
            if (constant.option().equals(wanted)) {
                return constant;
            }
        }
        List<String> valid =
                Arrays.stream(constants).map(OptionValue::option).collect(Collectors.toList());
        throw new OptionException(key, "is '" + value + "'; expected one of " + valid);
    }
}
