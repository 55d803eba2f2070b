package io.pgcdc.connector.config;

import org.apache.flink.annotation.Internal;

/** {@code publication.autocreate.mode}: what the job may do to its publication. */
@Internal
public enum PublicationMode implements OptionValue {
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
    @Override
    public String option() {
        return option;
    }
}
