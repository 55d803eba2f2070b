package io.pgcdc.connector.cli;

import io.pgcdc.connector.testbed.PluginJar;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The jars of a Flink distribution's {@code lib/} and of a Flink CDC distribution's {@code lib/},
 * as the {@code cli-it} Maven profile resolved them (from {@code ../shared/maven}) into {@code
 * target/cli-it/*.classpath}, and the plugin jar the package phase built.
 */
final class CdcLib {

    private static final Logger LOG = LoggerFactory.getLogger(CdcLib.class);

    static final String FLINK = "flink-1.20.1";

    /** The Flink CDC versions the plugin jar is tested under (each built for Flink 1.20). */
    static final String V3_5 = "3.5.0";

    static final String V3_6 = "3.6.0";

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
        if (!Files.exists(flink) || !Files.exists(cdc)) {
            String why =
                    "Flink CDC "
                            + version
                            + "'s CLI is not here: ../shared/maven is absent, so the cli-it profile"
                            + " did not resolve it; the CLI tests are skipped";
            LOG.warn(why); // the build's output shows it; the assumption only reaches the report
            assumeTrue(false, why);
        }
        List<Path> flinkJars = read(flink);
        Set<String> flinkNames =
                flinkJars.stream().map(p -> p.getFileName().toString()).collect(Collectors.toSet());
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

    /**
     * The class path {@code bin/flink-cdc.sh} builds: Flink's lib, then the CDC lib: the
     * distribution's one jar, the values connector, the plugin jar and whatever else was dropped
     * there.
     */
    List<Path> cliClassPath(List<Path> dropped) throws IOException {
        Set<Path> cp = new LinkedHashSet<>(flinkLib);
        cp.add(distJar());
        cp.addAll(connectors());
        cp.add(pluginJar());
        cp.addAll(dropped);
        return new ArrayList<>(cp);
    }

    /** The pipeline connectors of the CDC lib (the values sink). */
    List<Path> connectors() {
        return cdcLib.stream().filter(CdcLib::isConnector).collect(Collectors.toList());
    }

    /**
     * {@code flink-cdc-dist-<version>.jar} as the distribution ships it: cli, composer, runtime,
     * common and everything they need (Calcite, Janino, ...) in one jar, built here once from the
     * resolved jars. It matters beyond the CLI's class path: the composer ships the jar holding
     * {@code Event} and {@code EventSerializer} to the cluster through {@code pipeline.jars}, and a
     * transform needs Calcite there. Service files are concatenated, signatures dropped, the first
     * copy of anything else kept (the dist module shades the same way; its one relocation, of
     * commons-cli, is not repeated: Flink's lib comes first on the class path).
     */
    Path distJar() throws IOException {
        Path jar = dir().resolve("flink-cdc-dist-" + version + ".jar");
        if (Files.exists(jar)) {
            return jar;
        }
        Path partial = Files.createTempFile(dir(), "flink-cdc-dist-" + version, ".part");
        Map<String, StringBuilder> services = new TreeMap<>();
        Set<String> written = new HashSet<>();
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(partial), manifest)) {
            written.add(JarFile.MANIFEST_NAME);
            for (Path part : cdcLib) {
                if (isConnector(part)) {
                    continue;
                }
                try (JarFile in = new JarFile(part.toFile())) {
                    for (JarEntry entry : java.util.Collections.list(in.entries())) {
                        String name = entry.getName();
                        if (entry.isDirectory() || name.matches("META-INF/[^/]+\\.(SF|DSA|RSA)")) {
                            continue;
                        }
                        if (name.startsWith("META-INF/services/")) {
                            services.computeIfAbsent(name, n -> new StringBuilder())
                                    .append(
                                            new String(
                                                    in.getInputStream(entry).readAllBytes(),
                                                    StandardCharsets.UTF_8))
                                    .append('\n');
                        } else if (written.add(name)) {
                            out.putNextEntry(new JarEntry(name));
                            in.getInputStream(entry).transferTo(out);
                            out.closeEntry();
                        }
                    }
                }
            }
            for (Map.Entry<String, StringBuilder> service : services.entrySet()) {
                out.putNextEntry(new JarEntry(service.getKey()));
                out.write(service.getValue().toString().getBytes(StandardCharsets.UTF_8));
                out.closeEntry();
            }
        }
        Files.move(partial, jar, StandardCopyOption.ATOMIC_MOVE);
        return jar;
    }

    private static boolean isConnector(Path jar) {
        return jar.getFileName().toString().startsWith("flink-cdc-pipeline-connector-");
    }

    /**
     * The shaded plugin jar under {@code target/} (or the one {@code -Dcli.it.plugin.jar} names).
     */
    static Path pluginJar() throws IOException {
        String other = System.getProperty("cli.it.plugin.jar");
        if (other != null) {
            return Paths.get(other).toAbsolutePath();
        }
        return PluginJar.built();
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
