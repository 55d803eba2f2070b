package io.pgcdc.connector.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A JVM of its own, as a shell script would start it: a class path, a main class, arguments and
 * environment. Its standard output is kept line by line (and copied to a file), standard error goes
 * to a file. Closing it ends the process (forcibly after a grace period) and waits.
 */
final class ChildJvm implements AutoCloseable {

    private final String name;
    private final Process process;
    private final Path stdout;
    private final Path stderr;
    private final List<String> lines = new ArrayList<>();
    private final Thread reader;

    private ChildJvm(String name, Process process, Path stdout, Path stderr) {
        this.name = name;
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
        this.reader = new Thread(this::readStdout, name + "-stdout");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts {@code java [jvmOptions] -cp classPath mainClass args} in {@code workDir}, whose
     * {@code <name>.out} / {@code <name>.err} receive the output.
     */
    static ChildJvm start(
            String name,
            Path workDir,
            List<String> jvmOptions,
            List<Path> classPath,
            String mainClass,
            List<String> args,
            Map<String, String> env)
            throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-cp");
        StringBuilder cp = new StringBuilder();
        for (Path entry : classPath) {
            if (cp.length() > 0) {
                cp.append(java.io.File.pathSeparatorChar);
            }
            cp.append(entry);
        }
        command.add(cp.toString());
        command.add(mainClass);
        command.addAll(args);
        Files.createDirectories(workDir);
        Path stdout = workDir.resolve(name + ".out");
        Path stderr = workDir.resolve(name + ".err");
        ProcessBuilder builder =
                new ProcessBuilder(command)
                        .directory(workDir.toFile())
                        .redirectError(stderr.toFile());
        builder.environment().putAll(env);
        Files.writeString(workDir.resolve(name + ".cmd"), String.join(" ", command));
        return new ChildJvm(name, builder.start(), stdout, stderr);
    }

    private void readStdout() {
        try (BufferedReader in =
                        new BufferedReader(
                                new InputStreamReader(
                                        process.getInputStream(), StandardCharsets.UTF_8));
                java.io.Writer copy = Files.newBufferedWriter(stdout)) {
            String line;
            while ((line = in.readLine()) != null) {
                synchronized (lines) {
                    lines.add(line);
                }
                copy.write(line);
                copy.write('\n');
                copy.flush();
            }
        } catch (IOException e) {
            // the process went away
        }
    }

    /** The standard output so far. */
    List<String> lines() {
        synchronized (lines) {
            return new ArrayList<>(lines);
        }
    }

    /** Waits until a line matches; the line, or an AssertionError with the output's tail. */
    String awaitLine(String what, Duration timeout, Predicate<String> condition) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        int seen = 0;
        while (true) {
            List<String> now = lines();
            for (int i = seen; i < now.size(); i++) {
                if (condition.test(now.get(i))) {
                    return now.get(i);
                }
            }
            seen = now.size();
            if (System.nanoTime() > deadline
                    || (!process.isAlive() && !reader.isAlive() && lines().size() == seen)) {
                throw new AssertionError(
                        name
                                + ": no line with "
                                + what
                                + " ("
                                + (process.isAlive() ? "running" : "exited " + process.exitValue())
                                + ")\nstdout tail:\n"
                                + tail(now)
                                + "\nstderr tail:\n"
                                + tail(stderrLines()));
            }
            Thread.sleep(100);
        }
    }

    /** Waits for the process to end by itself; its exit code. */
    int awaitExit(Duration timeout) throws Exception {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError(
                    name
                            + " still running after "
                            + timeout
                            + "\nstderr tail:\n"
                            + tail(stderrLines()));
        }
        reader.join(10_000);
        return process.exitValue();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    List<String> stderrLines() {
        try {
            return Files.readAllLines(stderr);
        } catch (IOException e) {
            return List.of();
        }
    }

    static String tail(List<String> lines) {
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }

    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            process.destroy(); // SIGTERM: the JVM's shutdown hooks stop a mini cluster cleanly
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(30, TimeUnit.SECONDS);
            }
        }
        reader.join(10_000);
    }
}
