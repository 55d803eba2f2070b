package io.pgcdc.connector.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The jars of a Flink distribution's {@code lib/} and of a Flink CDC distribution's {@code lib/},
 * as the {@code cli-it} Maven profile resolved them (from {@code ../shared/maven}) into
 * {@code target/cli-it/*.classpath}, and the plugin jar the package phase built.
 */
final class CdcLib {

    static final String FLINK = "flink-1.20.1";

    private final String version;
    private final List<Path> flinkLib;
    private final List<Path> cdcLib;

    private CdcLib(String version, List<Path> flinkLib, List<Path> cdcLib) {
        this.version = version;
        this.flinkLib = flinkLib;
        this.cdcLib = cdcLib;
    }

    /** Flink CDC {@code version}'s lib; skips the test, saying why, where it was not resolved. */
    static CdcLib of(String version) throws IOException {
        Path flink = dir().resolve(FLINK + ".classpath");
        Path cdc = dir().resolve("cdc-" + version + ".classpath");
        assumeTrue(Files.exists(flink) && Files.exists(cdc),
                "Flink CDC " + version + "'s CLI is not here: ../shared/maven is absent, so the cli-it profile did not"
                        + " resolve it; the CLI tests are skipped");
        List<Path> flinkJars = read(flink);
        Set<String> flinkNames = flinkJars.stream().map(p -> p.getFileName().toString()).collect(Collectors.toSet());
        List<Path> cdcJars = new ArrayList<>();
        for (Path jar : read(cdc)) {
            if (!flinkNames.contains(jar.getFileName().toString())) {
                cdcJars.add(jar);
            }
        }
        return new CdcLib(version, flinkJars, cdcJars);
    }

    String version() {
        return version;
    }

    /** What a Flink distribution's {@code lib/} provides. */
    List<Path> flinkLib() {
        return flinkLib;
    }

    /** What a Flink CDC distribution's {@code lib/} holds besides connectors (and the values connector). */
    List<Path> cdcLib() {
        return cdcLib;
    }

    /**
     * The class path {@code bin/flink-cdc.sh} builds: Flink's lib, then the CDC lib with the
     * plugin jar and whatever else was dropped there.
     */
    List<Path> cliClassPath(List<Path> dropped) throws IOException {
        Set<Path> cp = new LinkedHashSet<>(flinkLib);
        cp.addAll(cdcLib);
        cp.add(pluginJar());
        cp.addAll(dropped);
        return new ArrayList<>(cp);
    }

    /** The shaded plugin jar under {@code target/} (or the one {@code -Dcli.it.plugin.jar} names). */
    static Path pluginJar() throws IOException {
        String other = System.getProperty("cli.it.plugin.jar");
        if (other != null) {
            return Paths.get(other).toAbsolutePath();
        }
        try (Stream<Path> files = Files.list(Paths.get("target"))) {
            List<Path> jars = files.filter(p -> p.getFileName().toString()
                            .matches("pgcdc-pipeline-connector-postgres-[^-]+(-SNAPSHOT)?\\.jar"))
                    .collect(Collectors.toList());
            if (jars.size() != 1) {
                throw new IllegalStateException("Expected one plugin jar under target/, found " + jars);
            }
            return jars.get(0).toAbsolutePath();
        }
    }

    /** A fresh directory for a test's files and logs, kept under {@code target/cli-it/work/}. */
    static Path workDir(String name) throws IOException {
        Path dir = dir().resolve("work").resolve(name);
        if (Files.exists(dir)) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        return Files.createDirectories(dir);
    }

    static Path dir() {
        return Paths.get(System.getProperty("cli.it.dir", "target/cli-it")).toAbsolutePath();
    }

    private static List<Path> read(Path classpathFile) throws IOException {
        String text = Files.readString(classpathFile).trim();
        List<Path> jars = new ArrayList<>();
        for (String entry : text.split(java.io.File.pathSeparator)) {
            if (!entry.isBlank()) {
                jars.add(Paths.get(entry));
            }
        }
        return jars;
    }
}
