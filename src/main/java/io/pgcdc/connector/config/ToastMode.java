package io.pgcdc.connector.config;

import org.apache.flink.annotation.Internal;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * {@code toast.unchanged-value.mode}: what an update carries for a TOASTed value it left unchanged
 * when the table has no full before image.
 */
@Internal
public enum ToastMode {
    /** Fail the job, naming the table, the column and the fix. */
    FAIL("fail"),
    /** NULL. */
    NULL("null"),
    /** Debezium's unavailable-value placeholder. */
    PLACEHOLDER("placeholder");

    private final String option;

    ToastMode(String option) {
        this.option = option;
    }

    public String option() {
        return option;
    }

    /** The mode an option value names, whatever its case and surrounding spaces. */
    public static Optional<ToastMode> of(String value) {
        String wanted = value.trim().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(mode -> mode.option.equals(wanted)).findFirst();
    }

    /** Every option value, for error messages. */
    public static List<String> options() {
        return Arrays.stream(values()).map(ToastMode::option).collect(Collectors.toList());
    }
}
