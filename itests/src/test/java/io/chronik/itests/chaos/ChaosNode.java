package io.chronik.itests.chaos;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One run of {@code bin/chronik start} for the chaos suite: the process, and its output (stdout and stderr together)
 * collected on a daemon thread. Thread-safe; {@link #awaitLine} blocks.
 */
final class ChaosNode {
    final Process process;
    private final List<String> output = new ArrayList<>();

    private ChaosNode(Process process) {
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
                // the process ended
            }
        }, "chaos-node-output");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts {@code home/bin/chronik args...} with {@code env} added to a copy of this JVM's environment (no CHRONIK_*). */
    static ChaosNode start(Path home, Map<String, String> env, List<String> args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(home.resolve("bin/chronik").toString());
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("CHRONIK_"));
        pb.environment().putAll(env);
        return new ChaosNode(pb.start());
    }

    /** Waits until a line containing {@code text} was printed; fails with AssertionError on timeout or exit. */
    void awaitLine(String text, long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        synchronized (output) {
            while (true) {
                for (String line : output) {
                    if (line.contains(text)) {
                        return;
                    }
                }
                long left = deadline - System.currentTimeMillis();
                if (left <= 0 || !process.isAlive()) {
                    throw new AssertionError("no line containing '" + text + "' (alive=" + process.isAlive() + "):\n"
                            + String.join("\n", output));
                }
                output.wait(Math.min(left, 200));
            }
        }
    }

    boolean alive() {
        return process.isAlive();
    }

    String output() {
        synchronized (output) {
            return String.join("\n", output);
        }
    }

    /** SIGKILL; returns once the process is gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor();
    }

    /** SIGTERM (a clean stop); returns once the process is gone, SIGKILL after 60 s. */
    void stop() throws IOException, InterruptedException {
        if (!process.isAlive()) {
            return;
        }
        new ProcessBuilder("kill", "-TERM", Long.toString(process.pid())).inheritIO().start().waitFor();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            kill();
        }
    }
}
