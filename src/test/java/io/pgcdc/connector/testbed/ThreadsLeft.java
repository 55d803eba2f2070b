package io.pgcdc.connector.testbed;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Threads of ours, Debezium's or flink-cdc-base's that outlive a job: those started since a
 * baseline (taken as the job started) whose name is one of theirs, or that run their code. A thread
 * of the JVM-wide pgjdbc housekeeping is not the job's.
 */
public final class ThreadsLeft {

    private static final Pattern NAMES =
            Pattern.compile(
                    "Source Data Fetcher for"
                            + " .*|debezium-.*|pgcdc-.*|snapshot-splitting|connection-pool-.*");
    private static final Pattern JVM_WIDE = Pattern.compile("PostgreSQL-JDBC-.*");

    private ThreadsLeft() {}

    /** The live threads now, to compare with after the job. */
    public static Set<Thread> baseline() {
        Set<Thread> threads = Collections.newSetFromMap(new IdentityHashMap<>());
        threads.addAll(Thread.getAllStackTraces().keySet());
        return threads;
    }

    /** Whether a thread whose name starts with the prefix runs the given method now. */
    public static boolean runningIn(String namePrefix, String className, String method) {
        return Thread.getAllStackTraces().entrySet().stream()
                .anyMatch(
                        e ->
                                e.getKey().getName().startsWith(namePrefix)
                                        && Arrays.stream(e.getValue())
                                                .anyMatch(
                                                        frame ->
                                                                frame.getClassName()
                                                                                .equals(className)
                                                                        && frame.getMethodName()
                                                                                .equals(method)));
    }

    /** Threads started since the baseline that belong to the job, each with its stack. */
    public static List<String> since(Set<Thread> baseline) {
        List<String> left = new ArrayList<>();
        for (Map.Entry<Thread, StackTraceElement[]> entry : Thread.getAllStackTraces().entrySet()) {
            Thread thread = entry.getKey();
            if (!thread.isAlive()
                    || baseline.contains(thread)
                    || JVM_WIDE.matcher(thread.getName()).matches()) {
                continue;
            }
            boolean runsTheirCode =
                    Arrays.stream(entry.getValue())
                            .map(StackTraceElement::getClassName)
                            .anyMatch(
                                    c ->
                                            c.startsWith("io.debezium.")
                                                    || c.startsWith("org.apache.flink.cdc.")
                                                    || (c.startsWith("io.pgcdc.connector.")
                                                            && !c.startsWith(
                                                                    "io.pgcdc.connector.testbed.")));
            if (NAMES.matcher(thread.getName()).matches() || runsTheirCode) {
                left.add(
                        thread.getName()
                                + " ("
                                + thread.getState()
                                + ")\n\t"
                                + Arrays.stream(entry.getValue())
                                        .limit(25)
                                        .map(String::valueOf)
                                        .collect(Collectors.joining("\n\t")));
            }
        }
        return left;
    }
}
