package io.chronik.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * {@code bin/chronik}: starts a node in the foreground, reports a running node's status, changes the cluster's
 * membership through a running node, prints help.
 * Exit codes: 0 success or clean stop, 1 the node could not start, is unhealthy or refused, 2 bad command line (and a
 * {@code cluster decommission} that did not finish in time), 3 {@code cluster health} could not reach the cluster.
 */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(Arrays.asList(args), System.getenv(), home(), System.out, System.err));
    }

    private static Path home() {
        return Path.of(System.getProperty("chronik.home", ".")).toAbsolutePath().normalize();
    }

    /** Runs a command to its end and returns the exit code. */
    static int run(List<String> args, Map<String, String> env, Path home, PrintStream out, PrintStream err) {
        if (args.isEmpty() || List.of("--help", "-h", "help").contains(args.get(0))) {
            out.print(help());
            return 0;
        }
        List<String> rest = args.subList(1, args.size());
        if (rest.contains("--help") || rest.contains("-h")) {
            out.print(help());
            return 0;
        }
        try {
            return switch (args.get(0)) {
                case "start" -> start(NodeSettings.resolve(rest, env, home), err);
                case "status" -> status(NodeSettings.resolve(rest, env, home), out, err);
                case "cluster" -> cluster(rest, env, home, out, err);
                case "version", "--version" -> {
                    out.println("chronik " + build().get("version"));
                    yield 0;
                }
                default -> throw new UsageException("unknown command '" + args.get(0) + "' (see --help)");
            };
        } catch (UsageException e) {
            err.println("chronik: " + e.getMessage());
            return 2;
        }
    }

    private static int start(NodeSettings settings, PrintStream err) {
        configureLogging(settings.get(Setting.LOG_LEVEL));
        Node node = new Node(settings, build());
        try {
            node.start(Long.getLong("chronik.startup.timeout.ms", 60_000));
        } catch (StartupException e) {
            err.println("chronik: " + e.getMessage());
            return 1;
        }
        Thread hook = new Thread(node::close, "chronik-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            node.awaitStop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    private static int status(NodeSettings settings, PrintStream out, PrintStream err) {
        Path dataDir = settings.dataDir();
        String report;
        try {
            report = AdminSocket.request(dataDir, "status");
        } catch (IOException e) {
            err.println("chronik: no running node answers in data directory " + dataDir + " (" + e.getMessage() + ")");
            return 1;
        }
        out.print(report);
        return report.startsWith("status: healthy") ? 0 : 1;
    }

    /**
     * {@code cluster add-voter --node ID [--data-dir DIR]}: asks the node running on {@code DIR} (any member of the
     * cluster) to make node {@code ID}, a listener of the metadata group, one of its voters.
     * {@code cluster decommission --node ID [--data-dir DIR] [--timeout-seconds T]}: asks it to move every replica and
     * the metadata vote off node {@code ID} and follows the progress ({@link #decommission}); with {@code --status}
     * it only prints the progress once (0 done, 1 refused, 2 not done), starting nothing; with {@code --cancel} it
     * stops the decommission and takes the node's decommissioned mark away (0 done, 1 failed).
     * {@code cluster health --bootstrap HOST:PORT[,...]}: the cluster's health as a Kafka client sees it
     * ({@link HealthCommand}).
     */
    private static int cluster(List<String> args, Map<String, String> env, Path home, PrintStream out, PrintStream err)
            throws UsageException {
        if (!args.isEmpty() && args.get(0).equals("health")) {
            return HealthCommand.run(args.subList(1, args.size()), out, err);
        }
        if (args.isEmpty() || !List.of("add-voter", "decommission").contains(args.get(0))) {
            throw new UsageException("cluster: expected 'add-voter --node ID', 'decommission --node ID' or "
                    + "'health --bootstrap HOST:PORT' (see --help)");
        }
        String command = args.get(0);
        List<String> flags = new ArrayList<>(args.subList(1, args.size()));
        String node = take(flags, "--node", "\\d{1,9}", "cluster " + command + " needs --node ID, the node id to "
                + (command.equals("add-voter") ? "promote" : "decommission"));
        boolean statusOnly = command.equals("decommission") && flags.remove("--status");
        boolean cancel = command.equals("decommission") && flags.remove("--cancel");
        if (statusOnly && cancel) {
            throw new UsageException("cluster decommission: --status and --cancel exclude each other");
        }
        long timeoutSeconds = 3600;
        if (command.equals("decommission") && flags.contains("--timeout-seconds")) {
            timeoutSeconds = Long.parseLong(take(flags, "--timeout-seconds", "\\d{1,9}",
                    "cluster decommission --timeout-seconds needs a number of seconds"));
        }
        Path dataDir = NodeSettings.resolve(flags, env, home).dataDir();
        if (command.equals("decommission") && !statusOnly && !cancel) {
            return decommission(dataDir, Integer.parseInt(node), timeoutSeconds * 1000, 1000, out, err);
        }
        String report;
        try {
            report = AdminSocket.request(dataDir, (statusOnly ? "decommission-status " : cancel ? "decommission-cancel "
                    : "add-voter ") + node);
        } catch (IOException e) {
            err.println("chronik: no running node answers in data directory " + dataDir + " (" + e.getMessage() + ")");
            return 1;
        }
        if (!report.endsWith("\n")) {
            report += "\n";
        }
        out.print(report);
        return report.startsWith("ok") ? 0 : report.startsWith("error") || !statusOnly ? 1 : 2;
    }

    /** Removes {@code flag} and its value (which must match {@code pattern}) from {@code flags}; returns the value. */
    private static String take(List<String> flags, String flag, String pattern, String usage) throws UsageException {
        int at = flags.indexOf(flag);
        if (at < 0 || at + 1 >= flags.size() || !flags.get(at + 1).matches(pattern)) {
            throw new UsageException(usage);
        }
        String value = flags.remove(at + 1);
        flags.remove(at);
        return value;
    }

    /**
     * Sends {@code decommission NODE} to the node on {@code dataDir} every {@code pollMs} (the node starts the
     * decommission once and then reports its progress) and prints each answer, until it answers "ok" (returns 0) or
     * "error" (returns 1), the node does not answer (1), or {@code timeoutMs} passed (2; the decommission goes on in
     * the node, and running the command again follows it). Blocks the calling thread.
     */
    static int decommission(Path dataDir, int node, long timeoutMs, long pollMs, PrintStream out, PrintStream err) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (true) {
            String report;
            try {
                report = AdminSocket.request(dataDir, "decommission " + node);
            } catch (IOException e) {
                err.println("chronik: no running node answers in data directory " + dataDir + " (" + e.getMessage() + ")");
                return 1;
            }
            out.print(report.endsWith("\n") ? report : report + "\n");
            if (report.startsWith("ok")) {
                return 0;
            }
            if (!report.startsWith("in progress")) {
                return 1;
            }
            if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(pollMs) > deadline) {
                err.println("chronik: decommissioning node " + node + " did not finish within " + timeoutMs / 1000
                        + " s; it goes on in the cluster, run the command again to follow it");
                return 2;
            }
            try {
                Thread.sleep(pollMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 1;
            }
        }
    }

    /** SLF4J's simple logger, to stdout with timestamps; must run before the first logger is created. */
    private static void configureLogging(String level) {
        setDefault("org.slf4j.simpleLogger.logFile", "System.out");
        setDefault("org.slf4j.simpleLogger.defaultLogLevel", level);
        setDefault("org.slf4j.simpleLogger.showDateTime", "true");
        setDefault("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
        setDefault("org.slf4j.simpleLogger.showShortLogName", "true");
        setDefault("org.slf4j.simpleLogger.levelInBrackets", "true");
        if (level.equals("info")) {
            // Ratis and gRPC narrate every configuration key and election at INFO; keep their warnings
            setDefault("org.slf4j.simpleLogger.log.org.apache.ratis", "warn");
        }
    }

    private static void setDefault(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    static Map<String, String> build() {
        Properties p = new Properties();
        try (InputStream in = Main.class.getResourceAsStream("build.properties")) {
            p.load(in);
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("launcher jar lacks build.properties", e);
        }
        Map<String, String> m = new HashMap<>();
        p.stringPropertyNames().forEach(k -> m.put(k, p.getProperty(k)));
        return m;
    }

    static String help() {
        StringBuilder h = new StringBuilder();
        h.append("Usage: chronik <command> [flags]\n\n");
        h.append("Commands:\n");
        h.append("  start     run a node in the foreground until Ctrl-C or SIGTERM\n");
        h.append("  status    list the bundles and components of the node running on --data-dir\n");
        h.append("  cluster add-voter --node ID\n");
        h.append("            make node ID (joined as a listener) a voter of the metadata group, through the node on --data-dir\n");
        h.append("  cluster decommission --node ID [--timeout-seconds T]\n");
        h.append("            move every replica and the metadata vote off node ID, through the node on --data-dir, and\n");
        h.append("            print its progress every second until done (0), refused (1) or T s passed (2, default 3600);\n");
        h.append("            with --status only print the progress once; with --cancel stop it (through the node that\n");
        h.append("            runs it) and let placement use node ID again\n");
        h.append("  cluster health --bootstrap HOST:PORT[,HOST:PORT...] [--timeout-seconds T] [--json]\n");
        h.append("            print the brokers (alive/fenced, rack), the controller, leaders per broker and the partitions\n");
        h.append("            not led by their preferred replica, under-replicated or offline, as a Kafka client sees them;\n");
        h.append("            exit 0 healthy, 1 unhealthy (a fenced broker, an offline or under-replicated partition, no\n");
        h.append("            controller), 3 no answer within T s (default 5)\n");
        h.append("  version   print the version\n\n");
        h.append("Flags (each also read from its environment variable, then conf/chronik.properties):\n");
        for (Setting s : Setting.values()) {
            String def = s.defaultValue() == null || s.defaultValue().isEmpty() ? "" : " (default " + s.defaultValue() + ")";
            h.append(String.format("  --%-16s %-24s %s%s%n", s.flag() + " V", s.env(), s.help(), def));
        }
        h.append("\nJava options go in JAVA_OPTS. Exit codes: 0 ok, 1 cannot start / unhealthy, 2 bad command line,\n"
                + "3 cluster not reachable (cluster health).\n");
        return h.toString();
    }
}
