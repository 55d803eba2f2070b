package io.pgcdc.connector.cli;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;

/**
 * A Flink session cluster in one JVM (job manager and one task manager), configured from a {@code
 * conf/} directory like a standalone cluster; runs until the process is ended. Started by {@link
 * SessionCluster} with nothing but a Flink {@code lib/} (and this class) on its class path.
 */
public final class SessionClusterMain {

    private SessionClusterMain() {}

    public static void main(String[] args) throws Exception {
        Configuration conf = GlobalConfiguration.loadConfiguration(args[0]);
        MiniCluster cluster =
                new MiniCluster(
                        new MiniClusterConfiguration.Builder()
                                .setConfiguration(conf)
                                .setNumTaskManagers(1)
                                .setNumSlotsPerTaskManager(
                                        conf.get(TaskManagerOptions.NUM_TASK_SLOTS))
                                .build());
        cluster.start();
        System.out.println("SESSION CLUSTER READY " + cluster.getRestAddress().get());
        Thread.currentThread().join();
    }
}
