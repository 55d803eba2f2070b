package io.pgcdc.connector.types;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IsoTimestampsTest {

    @Test
    void agreesWithTheJdkParserOnWhatDebeziumPrints() {
        Random random = new Random(42);
        int[] offsets = {0, 3600, -3600, 19800, -34200, 50400, -64800, 3661};
        for (int i = 0; i < 20_000; i++) {
            long second = (long) (random.nextDouble() * 400L * 365 * 86_400) - 200L * 365 * 86_400;
            int nanos = random.nextInt(4) == 0 ? 0 : random.nextInt(1_000_000_000);
            if (random.nextBoolean()) {
                nanos = nanos / 1000 * 1000; // microseconds, as PostgreSQL stores them
            }
            ZoneOffset offset = ZoneOffset.ofTotalSeconds(offsets[random.nextInt(offsets.length)]);
            String text =
                    OffsetDateTime.ofInstant(Instant.ofEpochSecond(second, nanos), offset)
                            .format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
            assertThat(IsoTimestamps.parseInstant(text))
                    .as(text)
                    .isEqualTo(OffsetDateTime.parse(text).toInstant());
        }
    }

    @Test
    void unusualShapesFallBackToTheFullParser() {
        for (String text :
                new String[] {
                    "+10000-01-01T00:00:00Z",
                    "-0044-03-15T12:00:00Z",
                    "2020-02-29T23:59:59.123456789+05:45",
                    "2020-01-01T00:00Z",
                    "2020-01-01T00:00:00.1-00:30"
                }) {
            assertThat(IsoTimestamps.parseInstant(text))
                    .as(text)
                    .isEqualTo(OffsetDateTime.parse(text).toInstant());
        }
    }

    @Test
    void invalidTextIsRejectedAsTheJdkRejectsIt() {
        for (String text :
                new String[] {
                    "2021-02-29T00:00:00Z",
                    "2020-13-01T00:00:00Z",
                    "2020-01-01T24:00:00Z",
                    "2020-01-01T00:00:00",
                    "2020-01-01T00:00:00.1234567890Z",
                    "2020-01-01 00:00:00Z"
                }) {
            assertThatThrownBy(() -> IsoTimestamps.parseInstant(text))
                    .as(text)
                    .isInstanceOf(DateTimeParseException.class);
        }
    }
}
