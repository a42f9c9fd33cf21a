package io.chronik.launcher;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.Test;

import io.chronik.launcher.ClusterHealth.Broker;
import io.chronik.launcher.ClusterHealth.Partition;
import io.chronik.launcher.ClusterHealth.Report;
import io.chronik.launcher.ClusterHealth.State;

/**
 * {@code chronik cluster health}: the evaluation of a described cluster (which conditions make it unhealthy, leader
 * balance), the text and JSON reports, the command line, and the exit code when nothing answers on the bootstrap
 * address.
 */
public class ClusterHealthTest {
    private static final List<Broker> THREE = List.of(broker(1, false), broker(2, false), broker(3, false));

    private static Broker broker(int id, boolean fenced) {
        return new Broker(id, "127.0.0.1", 9090 + id, id == 1 ? "a" : null, fenced);
    }

    private static Partition p(String topic, int partition, int leader, List<Integer> replicas, List<Integer> isr) {
        return new Partition(topic, partition, leader, replicas, isr);
    }

    /** Three partitions of "t", each led by its first replica, ISRs full. */
    private static List<Partition> balanced() {
        return List.of(p("t", 0, 1, List.of(1, 2, 3), List.of(1, 2, 3)), p("t", 1, 2, List.of(2, 3, 1), List.of(2, 3, 1)),
                p("t", 2, 3, List.of(3, 1, 2), List.of(3, 1, 2)));
    }

    @Test
    public void aBalancedClusterWithFullIsrsIsHealthy() {
        Report r = ClusterHealth.evaluate(new State("c1", 2, THREE, balanced()));
        assertTrue(r.problems().toString(), r.healthy());
        assertEquals(0, r.exitCode());
        assertEquals(Map.of(1, 1, 2, 1, 3, 1), r.leadersPerBroker());
        assertTrue(r.notPreferred().isEmpty() && r.underReplicated().isEmpty() && r.offline().isEmpty());
    }

    @Test
    public void aFencedBrokerWithShrunkIsrsAndAnOfflineSingleReplicaIsUnhealthy() {
        List<Broker> brokers = List.of(broker(1, false), broker(2, false), broker(3, true));
        List<Partition> partitions = List.of(p("t", 0, 1, List.of(1, 2, 3), List.of(1, 2)),
                p("t", 1, 2, List.of(2, 3, 1), List.of(2, 1)), p("t", 2, 1, List.of(3, 1, 2), List.of(1, 2)),
                p("single", 0, -1, List.of(3), List.of(3)));
        Report r = ClusterHealth.evaluate(new State("c1", 1, brokers, partitions));
        assertEquals(1, r.exitCode());
        assertEquals(List.of("1 fenced broker (3)", "1 offline partition", "3 under-replicated partitions"), r.problems());
        assertEquals(List.of("single-0"), r.offline().stream().map(Partition::name).toList());
        assertEquals(List.of("t-2"), r.notPreferred().stream().map(Partition::name).toList());
        // the fenced broker leads nothing and is not listed as a leader
        assertEquals(Map.of(1, 2, 2, 1), r.leadersPerBroker());
    }

    @Test
    public void aLeaderOnAFencedBrokerCountsAsOffline() {
        List<Broker> brokers = List.of(broker(1, false), broker(2, true));
        Report r = ClusterHealth.evaluate(new State("c1", 1, brokers, List.of(p("t", 0, 2, List.of(2, 1), List.of(2, 1)))));
        assertEquals(1, r.offline().size());
        assertTrue(r.underReplicated().isEmpty());
    }

    @Test
    public void noControllerAloneIsUnhealthy() {
        Report r = ClusterHealth.evaluate(new State("c1", -1, THREE, balanced()));
        assertEquals(List.of("no controller"), r.problems());
        assertEquals(1, r.exitCode());
    }

    @Test
    public void leadersOffTheirPreferredReplicaAreReportedButHealthy() {
        List<Partition> partitions = List.of(p("t", 0, 2, List.of(1, 2, 3), List.of(1, 2, 3)),
                p("t", 1, 2, List.of(2, 3, 1), List.of(2, 3, 1)));
        Report r = ClusterHealth.evaluate(new State("c1", 1, THREE, partitions));
        assertTrue(r.healthy());
        assertEquals(Map.of(1, 0, 2, 2, 3, 0), r.leadersPerBroker());
        assertEquals(List.of("t-0"), r.notPreferred().stream().map(Partition::name).toList());
        String text = HealthReportFormat.text(r, 20);
        assertTrue(text, text.contains("leaders per broker: 1=0 2=2 3=0"));
        assertTrue(text, text.contains("not led by their preferred replica: 1\n  t-0  leader 2, preferred 1\n"));
    }

    @Test
    public void theTextReportNamesEveryBrokerAndCapsPartitionLists() {
        List<Broker> brokers = List.of(broker(1, false), broker(2, true));
        List<Partition> partitions = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            partitions.add(p("big", i, 1, List.of(1, 2), List.of(1)));
        }
        Report r = ClusterHealth.evaluate(new State("c1", 1, brokers, partitions));
        String text = HealthReportFormat.text(r, 20);
        assertTrue(text, text.startsWith("health: unhealthy (1 fenced broker (2), 25 under-replicated partitions)\n"));
        assertTrue(text, text.contains("brokers: 2 (1 alive, 1 fenced)\n"));
        assertTrue(text, text.matches("(?s).*\n  1 +127\\.0\\.0\\.1:9091 +alive +rack a\n.*"));
        assertTrue(text, text.matches("(?s).*\n  2 +127\\.0\\.0\\.1:9092 +fenced +rack -\n.*"));
        assertTrue(text, text.contains("under-replicated partitions: 25\n"));
        assertTrue(text, text.contains("big-19  leader 1  replicas [1, 2]  isr [1]\n"));
        assertFalse(text, text.contains("big-20 "));
        assertTrue(text, text.contains("  ... and 5 more\n"));
        assertTrue(text, text.contains("offline partitions: 0\n"));
    }

    @Test
    public void theJsonReportListsEverything() {
        List<Broker> brokers = List.of(broker(1, false), broker(2, true));
        Report r = ClusterHealth.evaluate(new State("c\"1", 1, brokers,
                List.of(p("t", 0, 1, List.of(1, 2), List.of(1)), p("t", 1, -1, List.of(2), List.of(2)))));
        assertEquals("{\"healthy\":false,\"problems\":[\"1 fenced broker (2)\",\"1 offline partition\","
                + "\"1 under-replicated partition\"],\"clusterId\":\"c\\\"1\",\"controller\":1,\"brokers\":["
                + "{\"id\":1,\"host\":\"127.0.0.1\",\"port\":9091,\"rack\":\"a\",\"fenced\":false},"
                + "{\"id\":2,\"host\":\"127.0.0.1\",\"port\":9092,\"rack\":null,\"fenced\":true}],\"partitions\":2,"
                + "\"leadersPerBroker\":{\"1\":1},\"notPreferredLeader\":[],"
                + "\"underReplicated\":[{\"topic\":\"t\",\"partition\":0,\"leader\":1,\"replicas\":[1,2],\"isr\":[1]}],"
                + "\"offline\":[{\"topic\":\"t\",\"partition\":1,\"leader\":-1,\"replicas\":[2],\"isr\":[2]}]}\n",
                HealthReportFormat.json(r));
    }

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Main.run(List.of(args), Map.of(), Path.of("."), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    public void badCommandLinesAreUsageErrors() {
        assertEquals(2, run("cluster", "health"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("needs --bootstrap HOST:PORT"));
        assertEquals(2, run("cluster", "health", "--bootstrap", "localhost"));
        assertEquals(2, run("cluster", "health", "--bootstrap", "localhost:9092", "--timeout-seconds", "soon"));
        assertEquals(2, run("cluster", "health", "--bootstrap", "localhost:9092", "--timeout-seconds", "0"));
        assertEquals(2, run("cluster", "health", "--bootstrap", "localhost:9092", "--verbose"));
    }

    @Test
    public void nothingListeningOnTheBootstrapAddressIsUnreachable() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        long t0 = System.nanoTime();
        assertEquals(3, run("cluster", "health", "--bootstrap", "127.0.0.1:" + port, "--timeout-seconds", "1"));
        long tookMs = (System.nanoTime() - t0) / 1_000_000;
        assertTrue("took " + tookMs + " ms", tookMs < 5_000);
        assertTrue(err.toString(StandardCharsets.UTF_8),
                err.toString(StandardCharsets.UTF_8).contains("cannot reach the cluster through 127.0.0.1:" + port));
        assertEquals("", out.toString(StandardCharsets.UTF_8));
    }

    @Test
    public void helpNamesTheCommand() {
        assertEquals(0, run("--help"));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("cluster health --bootstrap HOST:PORT"));
    }
}
