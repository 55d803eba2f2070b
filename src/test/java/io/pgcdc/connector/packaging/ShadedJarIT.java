package io.pgcdc.connector.packaging;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The plugin jar built by the package phase: one jar, everything inside, clashing libs relocated. */
class ShadedJarIT {

    private static Path pluginJar() throws IOException {
        try (Stream<Path> files = Files.list(Paths.get("target"))) {
            List<Path> jars = files.filter(p -> p.getFileName().toString().matches("pgcdc-pipeline-connector-postgres-[^-]+(-SNAPSHOT)?\\.jar"))
                    .collect(Collectors.toList());
            assertThat(jars).as("exactly one plugin jar under target/").hasSize(1);
            return jars.get(0);
        }
    }

    @Test
    void containsTheConnectorAndItsDependenciesRelocated() throws Exception {
        try (JarFile jar = new JarFile(pluginJar().toFile())) {
            List<String> names = jar.stream().map(JarEntry::getName).collect(Collectors.toList());
            assertThat(names).contains(
                    "io/pgcdc/connector/factory/PostgresDataSourceFactory.class",
                    "org/apache/flink/cdc/connectors/postgres/source/PostgresDialect.class",
                    "io/debezium/connector/postgresql/PostgresConnectorConfig.class",
                    "org/postgresql/Driver.class",
                    "io/pgcdc/shaded/com/zaxxer/hikari/HikariDataSource.class",
                    "io/pgcdc/shaded/org/apache/kafka/connect/data/Struct.class");
            assertThat(names).noneMatch(n -> n.startsWith("org/apache/kafka/")
                    || n.startsWith("com/zaxxer/")
                    || n.startsWith("com/fasterxml/")
                    || n.startsWith("com/google/"));
            assertThat(names).doesNotContain("META-INF/services/org.apache.flink.table.factories.Factory");

            JarEntry spi = jar.getJarEntry("META-INF/services/org.apache.flink.cdc.common.factories.Factory");
            assertThat(spi).as("pipeline factory SPI file").isNotNull();
            try (InputStream in = jar.getInputStream(spi)) {
                String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                assertThat(text.lines().map(String::trim).filter(l -> !l.isEmpty() && !l.startsWith("#")))
                        .containsExactly("io.pgcdc.connector.factory.PostgresDataSourceFactory");
            }
        }
    }
}
