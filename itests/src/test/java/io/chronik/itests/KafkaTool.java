package io.chronik.itests;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs one of Apache Kafka's command line tools (its main class from kafka-tools on the test class path) in a JVM of
 * its own, as an operator runs {@code kafka-*.sh}. Blocking; fails with {@link AssertionError} if the tool runs longer
 * than 60 s.
 */
final class KafkaTool {
    private KafkaTool() {
    }

    /** What one run printed. */
    record Run(String tool, List<String> args, int exit, String out, String err) {
        @Override
        public String toString() {
            return tool + " " + String.join(" ", args) + " (exit " + exit + ")\n--- stdout:\n" + out + "\n--- stderr:\n" + err;
        }
    }

    /**
     * Runs {@code mainClass} with {@code args}; {@code name} (e.g. {@code kafka-reassign-partitions}) only labels the
     * run in messages. Prints the run to stdout for the test report.
     */
    static Run run(String name, String mainClass, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:TieredStopAtLevel=1",
                // the clients' configuration dumps at INFO would bury what the tool says
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).start();
        p.getOutputStream().close();
        // a thread each (not the common pool, one thread on two cores): a full stderr pipe must not block stdout
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()), KafkaTool::thread);
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()), KafkaTool::thread);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError(name + " " + String.join(" ", args) + " did not end in 60 s");
        }
        Run run = new Run(name, List.of(args), p.exitValue(), out.join(), err.join());
        System.out.println(run);
        return run;
    }

    private static void thread(Runnable r) {
        Thread t = new Thread(r, "kafka-tool-output");
        t.setDaemon(true);
        t.start();
    }

    private static String read(InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return e.toString();
        }
    }
}
