package io.pgcdc.connector.testbed;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** The shaded plugin jar the package phase built, for the tests that load it as users do. */
public final class PluginJar {

    private static final String NAME = "pgcdc-pipeline-connector-postgres-[^-]+(-SNAPSHOT)?\\.jar";

    private PluginJar() {}

    /** The one plugin jar under {@code target/}; fails if there is none or more than one. */
    public static Path built() throws IOException {
        try (Stream<Path> files = Files.list(Paths.get("target"))) {
            List<Path> jars =
                    files.filter(p -> p.getFileName().toString().matches(NAME))
                            .collect(Collectors.toList());
            if (jars.size() != 1) {
                throw new IllegalStateException(
                        "Expected one plugin jar under target/, found " + jars);
            }
            return jars.get(0).toAbsolutePath();
        }
    }
}
