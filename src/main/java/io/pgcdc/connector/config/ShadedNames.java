package io.pgcdc.connector.config;

import org.apache.flink.annotation.Internal;

/**
 * Class names users write against pgjdbc, Debezium or Kafka Connect (e.g. {@code
 * jdbc.properties.sslfactory: org.postgresql.ssl.NonValidatingFactory}, a {@code debezium.*} value
 * naming a Debezium class), as they are named inside the plugin jar, where these libraries are
 * relocated under {@code io.pgcdc.shaded}. On an unshaded class path (the project's own tests)
 * names are left alone.
 */
@Internal
public final class ShadedNames {

    /**
     * The original packages, assembled at run time: the shade plugin rewrites every string constant
     * that starts with a relocated package, these included if written as literals.
     */
    private static final String[] ORIGINAL_PACKAGES = {
        String.join(".", "org", "postgresql"),
        String.join(".", "io", "debezium"),
        String.join(".", "org", "apache", "kafka"),
    };

    /** {@code io.pgcdc.shaded.} in the plugin jar, empty on an unshaded class path. */
    private static final String PREFIX = prefix();

    private ShadedNames() {}

    private static String prefix() {
        String relocated = org.postgresql.Driver.class.getName(); // relocated along with the driver
        String original = ORIGINAL_PACKAGES[0] + ".Driver";
        return relocated.substring(0, relocated.length() - original.length());
    }

    /** The name inside this jar of a class name, or of each in a comma separated list. */
    public static String translate(String value) {
        return translate(value, PREFIX);
    }

    static String translate(String value, String prefix) {
        if (value == null || prefix.isEmpty()) {
            return value;
        }
        StringBuilder out = new StringBuilder(value.length() + 16);
        String[] tokens = value.split(",", -1);
        for (int i = 0; i < tokens.length; i++) {
            if (i > 0) {
                out.append(',');
            }
            String name = tokens[i].trim();
            boolean relocated = false;
            for (String pkg : ORIGINAL_PACKAGES) {
                if (name.startsWith(pkg + ".")) {
                    out.append(tokens[i].replace(name, prefix + name));
                    relocated = true;
                    break;
                }
            }
            if (!relocated) {
                out.append(tokens[i]);
            }
        }
        return out.toString();
    }
}
