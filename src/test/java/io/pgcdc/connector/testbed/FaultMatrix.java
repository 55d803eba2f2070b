package io.pgcdc.connector.testbed;

import org.junit.jupiter.params.provider.Arguments;

import java.util.stream.Stream;

/**
 * The parallelism and backfill setting a fault scenario runs with: (1, backfill off) and (2,
 * backfill on) by default; all four combinations with {@code -Dfault.matrix=full} (the {@code
 * fault-matrix} profile). Use as
 * {@code @MethodSource("io.pgcdc.connector.testbed.FaultMatrix#combinations")}.
 */
public final class FaultMatrix {

    private FaultMatrix() {}

    public static Stream<Arguments> combinations() {
        if ("full".equals(System.getProperty("fault.matrix"))) {
            return Stream.of(
                    Arguments.of(1, false),
                    Arguments.of(1, true),
                    Arguments.of(2, false),
                    Arguments.of(2, true));
        }
        return Stream.of(Arguments.of(1, false), Arguments.of(2, true));
    }
}
