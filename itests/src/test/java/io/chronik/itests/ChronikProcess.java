package io.chronik.itests;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A copy of the built distribution in a temporary directory, and {@code bin/chronik} processes run from it —
 * the way an operator runs Chronik. Output (stdout and stderr together) is collected for assertions.
 */
final class ChronikProcess implements AutoCloseable {
    final Path home;
    final Process process;
    private final List<String> output = new ArrayList<>();

    private ChronikProcess(Path home, Process process) {
        this.home = home;
        this.process = process;
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    synchronized (output) {
                        output.add(line);
                        output.notifyAll();
                    }
                }
            } catch (IOException ignored) {
                // process ended
            }
        }, "chronik-output");
        reader.setDaemon(true);
        reader.start();
    }

    /** Copies {@code distribution/target/chronik} to a fresh directory. */
    static Path copyDistribution() throws IOException {
        Path source = ContainerSupport.distribution();
        Path target = Files.createTempDirectory("chronik-dist");
        try (Stream<Path> files = Files.walk(source)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path to = target.resolve(source.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(p, to, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
        return target;
    }

    /** Starts {@code bin/chronik} with {@code args}. */
    static ChronikProcess run(Path home, String... args) throws IOException {
        return run(Map.of(), home, args);
    }

    /** Starts {@code bin/chronik} with {@code args} and the environment variables {@code env} added. */
    static ChronikProcess run(Map<String, String> env, Path home, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(home.resolve("bin/chronik").toString());
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("CHRONIK_"));
        pb.environment().put("JAVA_OPTS", "-Xmx512m");
        pb.environment().putAll(env);
        return new ChronikProcess(home, pb.start());
    }

    /** Runs {@code bin/chronik} with {@code args} to its end (at most 60 s). */
    static ChronikProcess runToEnd(Path home, String... args) throws IOException, InterruptedException {
        return runToEnd(Map.of(), home, args);
    }

    /** Runs {@code bin/chronik} with {@code args} and the environment variables {@code env} added, to its end. */
    static ChronikProcess runToEnd(Map<String, String> env, Path home, String... args)
            throws IOException, InterruptedException {
        ChronikProcess p = run(env, home, args);
        if (!p.process.waitFor(60, TimeUnit.SECONDS)) {
            p.close();
            throw new AssertionError("chronik " + String.join(" ", args) + " did not end: " + p.output());
        }
        p.awaitOutputClosed();
        return p;
    }

    private void awaitOutputClosed() throws InterruptedException {
        // the reader thread drains the pipe after exit; give it a moment
        Thread.sleep(100);
    }

    /** Waits until a line containing {@code text} has been printed; fails if the process ends first. */
    String awaitLine(String text, long timeoutMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        synchronized (output) {
            while (true) {
                for (String line : output) {
                    if (line.contains(text)) {
                        return line;
                    }
                }
                long left = deadline - System.currentTimeMillis();
                if (left <= 0 || (!process.isAlive() && left < timeoutMillis - 1000)) {
                    throw new AssertionError("no line containing '" + text + "' (alive=" + process.isAlive() + "):\n"
                            + String.join("\n", output));
                }
                output.wait(Math.min(left, 200));
            }
        }
    }

    /** The number of lines printed so far (a position for {@link #awaitLineAfter}). */
    int lineCount() {
        synchronized (output) {
            return output.size();
        }
    }

    /**
     * Waits until a line containing {@code text} has been printed at or after line {@code from} (0-based, see
     * {@link #lineCount}); returns its index. Fails after {@code timeoutMillis} or if the process ends first.
     */
    int awaitLineAfter(int from, String text, long timeoutMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        synchronized (output) {
            while (true) {
                for (int i = from; i < output.size(); i++) {
                    if (output.get(i).contains(text)) {
                        return i;
                    }
                }
                long left = deadline - System.currentTimeMillis();
                if (left <= 0 || !process.isAlive()) {
                    throw new AssertionError("no line containing '" + text + "' after line " + from + " (alive="
                            + process.isAlive() + "):\n" + String.join("\n", output.subList(Math.min(from, output.size()),
                            output.size())));
                }
                output.wait(Math.min(left, 200));
            }
        }
    }

    /** Line {@code index} (0-based) of the output. */
    String line(int index) {
        synchronized (output) {
            return output.get(index);
        }
    }

    String output() {
        synchronized (output) {
            return String.join("\n", output);
        }
    }

    int exitCode() {
        return process.exitValue();
    }

    /**
     * Sends SIGTERM as an operator's {@code kill} does. ({@link Process#destroy()} also sends SIGTERM but closes the
     * output pipe at once, so what the node prints while stopping would be lost.)
     */
    void terminate() throws IOException, InterruptedException {
        new ProcessBuilder("kill", "-TERM", Long.toString(process.pid())).inheritIO().start().waitFor();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
    }
}
