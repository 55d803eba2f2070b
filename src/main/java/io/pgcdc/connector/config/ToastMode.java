package io.pgcdc.connector.config;

import org.apache.flink.annotation.Internal;

/**
 * {@code toast.unchanged-value.mode}: what an update carries for a TOASTed value it left unchanged
 * when the table has no full before image.
 */
@Internal
public enum ToastMode implements OptionValue {
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

    @Override
    public String option() {
        return option;
    }
}
