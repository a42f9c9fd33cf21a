package io.chronik.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.net.ServerSocket;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.Rule;
import org.junit.Test;

/**
 * {@code bin/chronik cluster health --bootstrap <all three nodes>} run as an operator (or a systemd unit) runs it,
 * against three broker processes with a 3 s session timeout: healthy (exit 0, all three brokers listed alive); after
 * SIGKILL of node 3 it reports node 3 fenced, the partitions it held under-replicated and the one placed on node 3
 * alone offline, and exits 1, within 15 s; after node 3's restart it is healthy again. With nothing listening on the
 * bootstrap address it exits 3.
 */
public class ClusterHealthIT {
    private static final long FENCED_WITHIN_MS = 15_000;

    @Rule
    public final ProcessCluster cluster = new ProcessCluster(3).args("--session-timeout-ms", "3000");

    @Test
    public void healthFollowsAKilledBrokerAndItsReturn() throws Exception {
        cluster.start();
        try (Admin admin = cluster.admin()) {
            admin.createTopics(List.of(new NewTopic("replicated", 3, (short) 3),
                    new NewTopic("single", Map.of(0, List.of(3), 1, List.of(1)))))
                    .all().get(30, TimeUnit.SECONDS);
        }
        String bootstrap = cluster.ids().stream().map(cluster::bootstrap).collect(Collectors.joining(","));

        ChronikProcess healthy = awaitHealth(bootstrap, "healthy", 30_000, p -> p.exitCode() == 0);
        System.out.println("healthy cluster:\n" + healthy.output());
        String out = healthy.output();
        assertTrue(out, out.startsWith("health: healthy\n"));
        assertTrue(out, out.contains("brokers: 3 (3 alive, 0 fenced)"));
        for (int id : cluster.ids()) {
            assertTrue(out, brokerLine(id, "alive").matcher(out).find());
        }
        assertTrue(out, out.contains("under-replicated partitions: 0") && out.contains("offline partitions: 0"));

        ChronikProcess json = ChronikProcess.runToEnd(cluster.home(), "cluster", "health", "--bootstrap", bootstrap,
                "--json");
        assertEquals(json.output(), 0, json.exitCode());
        assertTrue(json.output(), json.output().startsWith("{\"healthy\":true,\"problems\":[]"));

        cluster.kill(3);
        long killed = System.currentTimeMillis();
        // every partition of "replicated" has a replica on node 3: once it is fenced, out of every ISR
        Pattern underReplicated = Pattern.compile("(?s).*\nunder-replicated partitions: \\d+\n"
                + "(  .*\n)*?  replicated-0 .*\n  replicated-1 .*\n  replicated-2 .*");
        ChronikProcess sick = awaitHealth(bootstrap, "node 3 fenced", FENCED_WITHIN_MS,
                p -> p.exitCode() == 1 && brokerLine(3, "fenced").matcher(p.output()).find()
                        && underReplicated.matcher(p.output()).matches());
        long fencedAfter = System.currentTimeMillis() - killed;
        System.out.println("after SIGKILL of node 3 (" + fencedAfter + " ms):\n" + sick.output());
        out = sick.output();
        assertTrue(out, out.startsWith("health: unhealthy (1 fenced broker (3)"));
        assertTrue(out, out.contains("brokers: 3 (2 alive, 1 fenced)"));
        assertTrue(out, brokerLine(1, "alive").matcher(out).find() && brokerLine(2, "alive").matcher(out).find());
        // the single-replica partition on node 3 has no leader
        assertTrue(out, out.contains("\noffline partitions: 1\n  single-0  leader none  replicas [3]  isr "));
        assertTrue("fenced after " + fencedAfter + " ms", fencedAfter < FENCED_WITHIN_MS);

        cluster.restart(3);
        ChronikProcess back = awaitHealth(bootstrap, "healthy again", 60_000, p -> p.exitCode() == 0);
        System.out.println("after node 3's restart:\n" + back.output());
        assertTrue(back.output(), brokerLine(3, "alive").matcher(back.output()).find());
    }

    @Test
    public void nothingListeningOnTheBootstrapAddressExitsThree() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        long t0 = System.nanoTime();
        ChronikProcess p = ChronikProcess.runToEnd(ContainerSupport.distribution(), "cluster", "health", "--bootstrap",
                "127.0.0.1:" + port, "--timeout-seconds", "2");
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertEquals(p.output(), 3, p.exitCode());
        assertTrue(p.output(), p.output().contains("chronik: cannot reach the cluster through 127.0.0.1:" + port));
        assertTrue("took " + tookMs + " ms", tookMs < 15_000);
    }

    /** A broker's line of the text report, e.g. {@code   3    127.0.0.1:40123    fenced  rack -}. */
    private Pattern brokerLine(int id, String state) {
        return Pattern.compile("(?m)^  " + id + " +127\\.0\\.0\\.1:" + cluster.kafkaPort(id) + " +" + state + " +rack ");
    }

    /** Runs the command every 500 ms until its run satisfies {@code condition}; returns that run. */
    private ChronikProcess awaitHealth(String bootstrap, String what, long timeoutMs, Predicate<ChronikProcess> condition)
            throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMs;
        ChronikProcess last = null;
        while (System.currentTimeMillis() < deadline) {
            last = ChronikProcess.runToEnd(cluster.home(), "cluster", "health", "--bootstrap", bootstrap,
                    "--timeout-seconds", "5");
            if (condition.test(last)) {
                return last;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("not within " + timeoutMs + " ms: " + what + "; last run exited "
                + (last == null ? "-" : last.exitCode() + ":\n" + last.output()));
    }
}
