package io.pgcdc.connector.config;

import org.apache.flink.cdc.common.configuration.ConfigOption;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * README's options table lists exactly the factory's options, with their required flag and default.
 */
class ReadmeOptionsTest {

    private static final Pattern ROW =
            Pattern.compile("^\\| `([^`]+)` \\| (yes|no) \\|([^|]*)\\|", Pattern.MULTILINE);

    @Test
    void readmeOptionsTableMatchesTheFactory() throws Exception {
        String readme =
                new String(Files.readAllBytes(Paths.get("README.md")), StandardCharsets.UTF_8);
        String section =
                readme.substring(readme.indexOf("## Options"), readme.indexOf("## Type mapping"));
        Map<String, String[]> documented = new LinkedHashMap<>();
        Matcher row = ROW.matcher(section);
        while (row.find()) {
            documented.put(row.group(1), new String[] {row.group(2), row.group(3).trim()});
        }
        Map<String, String[]> factory = new LinkedHashMap<>();
        for (ConfigOption<?> option : PostgresSourceSettings.requiredOptions()) {
            factory.put(option.key(), new String[] {"yes", ""});
        }
        for (ConfigOption<?> option : PostgresSourceSettings.optionalOptions()) {
            factory.put(
                    option.key(),
                    new String[] {
                        "no", option.hasDefaultValue() ? render(option.defaultValue()) : ""
                    });
        }
        factory.put("debezium.*", new String[] {"no", ""});
        factory.put("jdbc.properties.*", new String[] {"no", ""});

        assertThat(documented.keySet())
                .as("options in README")
                .containsExactlyInAnyOrderElementsOf(factory.keySet());
        for (Map.Entry<String, String[]> entry : factory.entrySet()) {
            String[] doc = documented.get(entry.getKey());
            assertThat(doc[0])
                    .as("required flag of " + entry.getKey())
                    .isEqualTo(entry.getValue()[0]);
            if (!entry.getValue()[1].isEmpty()) {
                assertThat(doc[1])
                        .as("default of " + entry.getKey())
                        .isEqualTo(entry.getValue()[1]);
            }
        }
    }

    private static String render(Object value) {
        if (value instanceof java.time.Duration) {
            java.time.Duration d = (java.time.Duration) value;
            return d.toMillis() % 1000 == 0 ? d.getSeconds() + "s" : d.toMillis() + "ms";
        }
        return String.valueOf(value);
    }
}
