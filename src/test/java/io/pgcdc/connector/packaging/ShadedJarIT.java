package io.pgcdc.connector.packaging;

import io.pgcdc.connector.testbed.PluginJar;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The plugin jar built by the package phase: one jar, every bundled class relocated under
 * io/pgcdc/.
 */
class ShadedJarIT {

    private static final String SHADED = "io/pgcdc/shaded/";

    private static List<String> names(JarFile jar) {
        return jar.stream()
                .map(JarEntry::getName)
                .filter(n -> !n.endsWith("/"))
                .collect(Collectors.toList());
    }

    /**
     * The project's license, and a NOTICE naming what is bundled, followed by the bundled NOTICEs.
     */
    @Test
    void licenseAndNotice() throws Exception {
        try (JarFile jar = new JarFile(PluginJar.built().toFile())) {
            String license = String.join("\n", readLines(jar, "META-INF/LICENSE"));
            assertThat(license)
                    .contains("Apache License")
                    .contains("Version 2.0, January 2004")
                    .as("the project's license, not a bundled component's")
                    .doesNotContain("BSD", "PostgreSQL Global Development Group");
            String notice = String.join("\n", readLines(jar, "META-INF/NOTICE"));
            assertThat(notice)
                    .contains("pgcdc - a PostgreSQL source for Flink CDC")
                    .contains("org.postgresql:postgresql:42.7.3")
                    .contains("flink-cdc-base")
                    .contains("Jackson");
            assertThat(names(jar).stream().filter(n -> n.startsWith("META-INF/LICENSE")))
                    .as("one license file: the bundled ones' texts are named in NOTICE")
                    .containsExactly("META-INF/LICENSE");
        }
    }

    @Test
    void everyClassLivesUnderIoPgcdc() throws Exception {
        try (JarFile jar = new JarFile(PluginJar.built().toFile())) {
            List<String> names = names(jar);
            assertThat(names)
                    .contains(
                            "io/pgcdc/connector/factory/PostgresDataSourceFactory.class",
                            SHADED
                                    + "org/apache/flink/cdc/connectors/postgres/source/PostgresDialect.class",
                            SHADED
                                    + "io/debezium/connector/postgresql/PostgresConnectorConfig.class",
                            SHADED + "io/debezium/connector/postgresql/build.version",
                            SHADED + "org/postgresql/Driver.class",
                            SHADED + "com/zaxxer/hikari/HikariDataSource.class",
                            SHADED + "org/apache/kafka/connect/data/Struct.class");
            assertThat(names.stream().filter(n -> n.endsWith(".class")))
                    .as("classes outside io/pgcdc/ (multi-release copies included)")
                    .allMatch(n -> n.startsWith("io/pgcdc/"));
            assertThat(names).noneMatch(n -> n.startsWith("META-INF/versions/"));
            assertThat(
                            names.stream()
                                    .filter(
                                            n ->
                                                    !n.startsWith("io/pgcdc/")
                                                            && !n.startsWith("META-INF/")))
                    .as("resources outside io/pgcdc/ and META-INF/")
                    .isEmpty();
            assertThat(names)
                    .doesNotContain("META-INF/services/org.apache.flink.table.factories.Factory");
            assertThat(
                            readLines(
                                    jar,
                                    "META-INF/services/org.apache.flink.cdc.common.factories.Factory"))
                    .containsExactly("io.pgcdc.connector.factory.PostgresDataSourceFactory");
            assertThat(readLines(jar, "META-INF/services/java.sql.Driver"))
                    .containsExactly("io.pgcdc.shaded.org.postgresql.Driver");
            assertThat(names.stream().filter(n -> n.startsWith("META-INF/services/")))
                    .allMatch(
                            n ->
                                    n.startsWith("META-INF/services/io.pgcdc.")
                                            || n.equals("META-INF/services/java.sql.Driver")
                                            || n.equals(
                                                    "META-INF/services/org.apache.flink.cdc.common.factories.Factory"));
        }
    }

    @Test
    void patchedDebeziumCopiesOfPostgresCdcWin() throws Exception {
        // flink-connector-postgres-cdc ships its own PostgresReplicationConnection (with
        // setEndingPos);
        // the shade plugin keeps the first copy it meets, so the dependency order decides.
        try (JarFile jar = new JarFile(PluginJar.built().toFile());
                InputStream in =
                        jar.getInputStream(
                                jar.getJarEntry(
                                        SHADED
                                                + "io/debezium/connector/postgresql/connection/PostgresReplicationConnection.class"))) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.ISO_8859_1))
                    .contains("setEndingPos");
        }
    }

    private static List<String> readLines(JarFile jar, String name) throws IOException {
        JarEntry entry = jar.getJarEntry(name);
        assertThat(entry).as(name).isNotNull();
        try (InputStream in = jar.getInputStream(entry)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    .lines()
                    .map(String::trim)
                    .filter(l -> !l.isEmpty() && !l.startsWith("#"))
                    .collect(Collectors.toList());
        }
    }
}
