package io.pgcdc.connector.cli;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Flink session cluster in a JVM of its own whose class path is a Flink {@code lib/} (and
 * whatever a layout adds to it), as {@code flink-cdc.sh -t remote} submits to. The values sink
 * prints to this JVM's standard output.
 */
final class SessionCluster implements AutoCloseable {

    private final ChildJvm jvm;
    private final int restPort;

    private SessionCluster(ChildJvm jvm, int restPort) {
        this.jvm = jvm;
        this.restPort = restPort;
    }

    /** Starts the cluster with {@code lib} on its class path and waits until it accepts jobs. */
    static SessionCluster start(Path workDir, String name, List<Path> lib) throws Exception {
        int port = FlinkHomes.freePort();
        Map<String, String> config = new LinkedHashMap<>();
        config.put("rest.address", "localhost");
        config.put("rest.port", String.valueOf(port));
        config.put("rest.bind-port", String.valueOf(port));
        config.put("taskmanager.numberOfTaskSlots", "8");
        Path home = FlinkHomes.home(workDir.resolve(name + "-home"), config);

        // this one class beside the Flink lib, not the test classes
        Path mainDir = workDir.resolve(name + "-main");
        String resource = SessionClusterMain.class.getName().replace('.', '/') + ".class";
        Path target = mainDir.resolve(resource);
        Files.createDirectories(target.getParent());
        try (InputStream in =
                SessionClusterMain.class.getClassLoader().getResourceAsStream(resource)) {
            Files.copy(in, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        List<Path> classPath = new ArrayList<>(lib);
        classPath.add(mainDir);

        List<String> options = new ArrayList<>(FlinkHomes.javaOpens());
        options.add("-Xmx1g");
        options.addAll(FlinkHomes.logTo(workDir, name));
        ChildJvm jvm =
                ChildJvm.start(
                        name,
                        workDir,
                        options,
                        classPath,
                        SessionClusterMain.class.getName(),
                        List.of(home.resolve("conf").toString()),
                        Map.of());
        SessionCluster cluster = new SessionCluster(jvm, port);
        try {
            jvm.awaitLine(
                    "SESSION CLUSTER READY",
                    Duration.ofMinutes(2),
                    line -> line.startsWith("SESSION CLUSTER READY"));
        } catch (Throwable e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    int restPort() {
        return restPort;
    }

    FlinkRest rest() {
        return new FlinkRest(restPort);
    }

    /** The cluster's standard output: the values sink's prints. */
    List<String> stdout() {
        return jvm.lines();
    }

    ChildJvm jvm() {
        return jvm;
    }

    @Override
    public void close() throws Exception {
        jvm.close();
    }
}
