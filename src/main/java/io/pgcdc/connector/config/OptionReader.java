package io.pgcdc.connector.config;

import org.apache.flink.cdc.common.configuration.ConfigOption;
import org.apache.flink.util.TimeUtils;

import java.time.Duration;
import java.util.Map;

/**
 * Reads typed option values from the raw strings of a pipeline YAML, turning every parse failure
 * into an {@link OptionException} that names the option and the expected form.
 */
final class OptionReader {

    private final Map<String, String> raw;

    OptionReader(Map<String, String> raw) {
        this.raw = raw;
    }

    boolean isSet(ConfigOption<?> option) {
        return raw.containsKey(option.key());
    }

    String string(ConfigOption<String> option) {
        String value = raw.get(option.key());
        return value != null ? value : option.defaultValue();
    }

    String required(ConfigOption<String> option) {
        String value = raw.get(option.key());
        if (value == null || value.trim().isEmpty()) {
            throw new OptionException(
                    option.key(), "is required but " + (value == null ? "missing" : "empty"));
        }
        return value;
    }

    int positiveInt(ConfigOption<Integer> option) {
        int value = integer(option);
        if (value <= 0) {
            throw new OptionException(option.key(), "must be a positive integer, got " + value);
        }
        return value;
    }

    int nonNegativeInt(ConfigOption<Integer> option) {
        int value = integer(option);
        if (value < 0) {
            throw new OptionException(
                    option.key(), "must be zero or a positive integer, got " + value);
        }
        return value;
    }

    int port(ConfigOption<Integer> option) {
        int value = integer(option);
        if (value < 1 || value > 65535) {
            throw new OptionException(option.key(), "must be a TCP port 1-65535, got " + value);
        }
        return value;
    }

    private int integer(ConfigOption<Integer> option) {
        String value = raw.get(option.key());
        if (value == null) {
            return option.defaultValue();
        }
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new OptionException(option.key(), "expects an integer, got '" + value + "'");
        }
    }

    double positiveDouble(ConfigOption<Double> option) {
        String value = raw.get(option.key());
        if (value == null) {
            return option.defaultValue();
        }
        double parsed;
        try {
            parsed = Double.parseDouble(value.trim());
        } catch (NumberFormatException e) {
            throw new OptionException(option.key(), "expects a number, got '" + value + "'");
        }
        if (!(parsed > 0) || Double.isInfinite(parsed)) {
            throw new OptionException(option.key(), "must be a positive number, got " + value);
        }
        return parsed;
    }

    boolean bool(ConfigOption<Boolean> option) {
        String value = raw.get(option.key());
        if (value == null) {
            return option.defaultValue();
        }
        switch (value.trim().toLowerCase()) {
            case "true":
                return true;
            case "false":
                return false;
            default:
                throw new OptionException(
                        option.key(), "expects true or false, got '" + value + "'");
        }
    }

    Duration positiveDuration(ConfigOption<Duration> option) {
        return duration(option, false);
    }

    Duration nonNegativeDuration(ConfigOption<Duration> option) {
        return duration(option, true);
    }

    private Duration duration(ConfigOption<Duration> option, boolean zeroAllowed) {
        String value = raw.get(option.key());
        if (value == null) {
            return option.defaultValue();
        }
        Duration parsed;
        try {
            parsed = TimeUtils.parseDuration(value.trim());
        } catch (RuntimeException e) {
            throw new OptionException(
                    option.key(),
                    "expects a duration such as 30s, 500ms or 2min, got '" + value + "'");
        }
        if (parsed.isNegative() || (!zeroAllowed && parsed.isZero())) {
            throw new OptionException(
                    option.key(),
                    "must be "
                            + (zeroAllowed ? "zero or more" : "positive")
                            + ", got '"
                            + value
                            + "'");
        }
        return parsed;
    }
}
