package io.pgcdc.connector.testbed;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.stream.Stream;

/**
 * The parallelism and backfill setting a fault scenario runs with: (1, backfill off) and (2,
 * backfill on) by default; all four combinations with {@code -Dfault.matrix=full} (the {@code
 * fault-matrix} profile). Use as {@link EachCombination @FaultMatrix.EachCombination} on a test
 * taking {@code (int parallelism, boolean backfill, ...)}.
 */
public final class FaultMatrix {

    private FaultMatrix() {}

    /** A parameterized test run once for each of {@link #combinations()}. */
    @Target(ElementType.METHOD)
    @Retention(RetentionPolicy.RUNTIME)
    @ParameterizedTest(name = "parallelism {0}, backfill {1}")
    @MethodSource("io.pgcdc.connector.testbed.FaultMatrix#combinations")
    public @interface EachCombination {}

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
