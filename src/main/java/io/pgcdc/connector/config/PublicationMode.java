package io.pgcdc.connector.config;

import org.apache.flink.annotation.Internal;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/** {@code publication.autocreate.mode}: what the job may do to its publication. */
@Internal
public enum PublicationMode {
    /** The publication must exist. */
    DISABLED("disabled"),
    /** Created {@code FOR ALL TABLES} if missing (needs a superuser). */
    ALL_TABLES("all_tables"),
    /**
     * Created for the captured tables if missing; captured tables it lacks are added, none removed.
     */
    FILTERED("filtered");

    private final String option;

    PublicationMode(String option) {
        this.option = option;
    }

    /**
     * The value as written in the option (and in Debezium's {@code publication.autocreate.mode}).
     */
    public String option() {
        return option;
    }

    /** The mode an option value names, whatever its case and surrounding spaces. */
    public static Optional<PublicationMode> of(String value) {
        String wanted = value.trim().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(mode -> mode.option.equals(wanted)).findFirst();
    }

    /** Every option value, for error messages. */
    public static List<String> options() {
        return Arrays.stream(values()).map(PublicationMode::option).collect(Collectors.toList());
    }
}
