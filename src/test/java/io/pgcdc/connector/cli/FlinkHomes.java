package io.pgcdc.connector.cli;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Files and settings the child JVMs of the CLI tests share: conf directories, logging, JVM options.
 */
final class FlinkHomes {

    private FlinkHomes() {}

    /** A {@code FLINK_HOME}-like directory whose {@code conf/config.yaml} holds the settings. */
    static Path home(Path dir, Map<String, String> config) throws IOException {
        Path conf = Files.createDirectories(dir.resolve("conf"));
        StringBuilder yaml = new StringBuilder();
        config.forEach((key, value) -> yaml.append(key).append(": ").append(value).append('\n'));
        Files.writeString(conf.resolve("config.yaml"), yaml);
        return dir;
    }

    /**
     * A {@code FLINK_CDC_HOME} as the distribution ships it: {@code conf/flink-cdc.yaml} with its
     * defaults, which {@code flink-cdc.sh} makes the pipelines' global configuration.
     */
    static Path cdcHome(Path dir) throws IOException {
        Path conf = Files.createDirectories(dir.resolve("conf"));
        Files.writeString(
                conf.resolve("flink-cdc.yaml"), "parallelism: 4\nschema.change.behavior: EVOLVE\n");
        return dir;
    }

    /** JVM options that send the log to {@code <name>.log} in the directory, nothing to stdout. */
    static List<String> logTo(Path dir, String name) throws IOException {
        Path log = dir.resolve(name + ".log");
        Path config = dir.resolve(name + "-log4j2.properties");
        Files.writeString(
                config,
                String.join(
                        "\n",
                        "rootLogger.level = INFO",
                        "rootLogger.appenderRef.file.ref = F",
                        "appender.file.name = F",
                        "appender.file.type = FILE",
                        "appender.file.fileName = " + log,
                        "appender.file.layout.type = PatternLayout",
                        "appender.file.layout.pattern = %d{HH:mm:ss,SSS} %-5p %-40c{1.} - %m%n",
                        ""));
        List<String> options = new ArrayList<>();
        options.add("-Dlog.file=" + log);
        options.add("-Dlog4j.configurationFile=file:" + config);
        return options;
    }

    /**
     * The {@code --add-opens} this JVM runs with, as Flink's {@code env.java.opts.all} sets them.
     */
    static List<String> javaOpens() {
        List<String> opens = new ArrayList<>();
        for (String argument : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (argument.startsWith("--add-opens") || argument.startsWith("--add-exports")) {
                opens.add(argument);
            }
        }
        return opens;
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    static List<String> logLines(Path dir, String name) {
        try {
            return Files.readAllLines(dir.resolve(name + ".log"));
        } catch (IOException e) {
            return List.of();
        }
    }
}
