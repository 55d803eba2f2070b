package io.pgcdc.connector.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Flink CDC's command line as {@code bin/flink-cdc.sh} runs it: {@code java -cp <Flink lib>:<CDC
 * lib> org.apache.flink.cdc.cli.CliFrontend <pipeline.yaml> [args]} with {@code FLINK_HOME} and
 * {@code FLINK_CDC_HOME} set, the log in a file and no other JVM option.
 */
final class CdcCli {

    private static final Pattern REST =
            Pattern.compile("Rest endpoint listening at localhost:(\\d+)");

    private CdcCli() {}

    /**
     * Starts the CLI for the pipeline file. {@code dropped}: jars a user put into the CDC lib next
     * to the plugin; {@code flinkConfig}: the {@code conf/config.yaml} of its {@code FLINK_HOME}.
     */
    static ChildJvm start(
            String name,
            Path workDir,
            CdcLib lib,
            List<Path> dropped,
            Path pipeline,
            List<String> args,
            Map<String, String> flinkConfig)
            throws Exception {
        Path flinkHome = FlinkHomes.home(workDir.resolve(name + "-flink-home"), flinkConfig);
        Path cdcHome = FlinkHomes.cdcHome(workDir.resolve(name + "-cdc-home"));
        List<String> arguments = new ArrayList<>();
        arguments.add(pipeline.toString());
        arguments.addAll(args);
        return ChildJvm.start(
                name,
                workDir,
                FlinkHomes.logTo(workDir, name),
                lib.cliClassPath(dropped),
                "org.apache.flink.cdc.cli.CliFrontend",
                arguments,
                Map.of("FLINK_HOME", flinkHome.toString(), "FLINK_CDC_HOME", cdcHome.toString()));
    }

    /** The REST port of the mini cluster a {@code --use-mini-cluster} run started, from its log. */
    static int miniClusterRestPort(Path workDir, String name, java.time.Duration timeout)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (String line : FlinkHomes.logLines(workDir, name)) {
                Matcher m = REST.matcher(line);
                if (m.find()) {
                    return Integer.parseInt(m.group(1));
                }
            }
            Thread.sleep(200);
        }
        throw new AssertionError("No REST endpoint in " + workDir.resolve(name + ".log"));
    }
}
