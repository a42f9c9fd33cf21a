package io.chronik.raft.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.osgi.framework.Bundle;

import io.chronik.testing.EmbeddedFelix;

/**
 * The provider as a bundle: Felix + SCR + ConfigAdmin + api, ratis, transport-grpc, log and this bundle. With a
 * configuration for {@code io.chronik.raft} the node starts and registers ClusterMetadata and PartitionLogs;
 * stopping the transport bundle takes them away, starting it again brings them back.
 */
public class OsgiProviderIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String METADATA = "io.chronik.api.consensus.ClusterMetadata";
    private static final String METRIC_SOURCE = "io.chronik.api.metrics.MetricSource";

    private EmbeddedFelix felix;

    @Before
    public void startFramework() throws Exception {
        felix = EmbeddedFelix.builder()
                .slf4j(System.getProperty("slf4j.version", "2.0.17"))
                .property("ds.loglevel", "warn")
                .start();
    }

    @After
    public void stopFramework() throws Exception {
        if (felix != null) {
            felix.close();
        }
    }

    @Test
    public void providerStartsInFelixAndFollowsItsTransport() throws Exception {
        File[] jars = new File(System.getProperty("it.bundles")).listFiles((d, n) -> n.endsWith(".jar"));
        Arrays.sort(jars);
        List<Path> paths = new ArrayList<>();
        for (File f : jars) {
            paths.add(f.toPath());
        }
        paths.add(Path.of(System.getProperty("bundle.file")));
        for (Bundle b : felix.installAndStart(paths)) {
            assertEquals(b.getSymbolicName() + " not active", Bundle.ACTIVE, b.getState());
        }

        Path data = felix.storage().resolve("data");
        felix.configure("io.chronik.raft", Map.of(
                "node.id", "1",
                "raft.addr", "127.0.0.1:" + TestNodes.freePort(),
                "data.dir", data.toString(),
                "advertised.addr", "localhost:19092"));

        Object metadata = felix.awaitService(METADATA, TIMEOUT);
        assertNotNull(felix.awaitService("io.chronik.api.consensus.PartitionLogs", TIMEOUT));
        // the api bundle's ClusterMetadata: the test's own copy of the class is not the registered service's
        Method clusterId = felix.bundle("io.chronik.api").loadClass(METADATA).getMethod("clusterId");
        assertEquals(22, ((String) clusterId.invoke(metadata)).length());
        assertTrue(Files.isDirectory(data.resolve("raft")));
        felix.awaitService(METRIC_SOURCE, TIMEOUT);
        // five sources: the transport's (from activation), the Raft groups' (once the server runs), then, one after the
        // other, the ReadIndex metrics, the snapshots' and the snapshot archive's (no archive bound here: nothing archived)
        List<String> metrics = new ArrayList<>();
        long deadline = System.currentTimeMillis() + 10_000;
        do {
            metrics.clear();
            for (org.osgi.framework.ServiceReference<?> ref : felix.context().getAllServiceReferences(METRIC_SOURCE, null)) {
                metrics.addAll(collect(felix.context().getService(ref)));
            }
        } while (!metrics.contains("family chronik_snapshot_archive_uploads") && System.currentTimeMillis() < deadline
                && sleep(50));
        assertTrue(metrics.toString(), java.util.Collections.indexOfSubList(metrics, List.of(
                "family chronik_raft_read_index_rounds", "sample [0.0, [1]]",
                "family chronik_raft_read_index_barriers", "sample [0.0, [1]]",
                "family chronik_raft_read_index_failures", "sample [0.0, [1]]",
                "histogram chronik_raft_read_index_duration_seconds",
                "sample [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0.0, [1]]")) >= 0);
        assertTrue(metrics.toString(), metrics.contains("family chronik_raft_snapshots"));
        assertTrue(metrics.toString(), java.util.Collections.indexOfSubList(metrics, List.of(
                "family chronik_snapshot_archive_uploads", "sample [0.0, [1]]")) >= 0);
        // the Raft groups' state: the single node leads the metadata group in a term >= 1
        assertTrue(metrics.toString(), metrics.containsAll(List.of("family chronik_raft_current_term",
                "family chronik_raft_leader", "family chronik_raft_leader_elections", "sample [1.0, [1, metadata]]")));
        // the transport's traffic, registered from activation: the node's metadata client reached its own server
        assertTrue(metrics.toString(), metrics.contains("family chronik_raft_transport_messages_sent"));
        assertTrue(metrics.toString(), metrics.stream().anyMatch(m -> m.endsWith(", [1, grpc, client, client]]")
                && !m.startsWith("sample [0.0,")));

        Bundle transport = felix.bundle("io.chronik.transport.grpc");
        transport.stop();
        felix.awaitNoService(METADATA, TIMEOUT);
        felix.awaitNoService(METRIC_SOURCE, TIMEOUT);
        transport.start();
        assertNotNull(felix.awaitService(METADATA, TIMEOUT));
    }

    private static boolean sleep(long ms) throws InterruptedException {
        Thread.sleep(ms);
        return true;
    }

    /**
     * Calls the registered MetricSource (the api bundle's types, not the test's) with a sink that records what it is
     * given: "family name" / "histogram name", then "sample [value or counts, (sum,) label values]".
     */
    private List<String> collect(Object source) throws Exception {
        ClassLoader api = felix.bundle("io.chronik.api").adapt(org.osgi.framework.wiring.BundleWiring.class)
                .getClassLoader();
        Class<?> sink = api.loadClass("io.chronik.api.metrics.MetricSink");
        List<String> written = new ArrayList<>();
        Object[] proxy = new Object[1];
        proxy[0] = java.lang.reflect.Proxy.newProxyInstance(api, new Class<?>[] {sink,
            api.loadClass("io.chronik.api.metrics.MetricSink$Family"),
            api.loadClass("io.chronik.api.metrics.MetricSink$Histogram")}, (p, m, args) -> {
                if (m.getName().equals("sample")) {
                    List<Object> values = new ArrayList<>();
                    for (Object a : args) {
                        values.add(a instanceof long[] l ? Arrays.toString(l)
                                : a instanceof String[] s ? Arrays.toString(s) : a);
                    }
                    written.add("sample " + values);
                } else {
                    written.add(m.getName() + " " + args[0]);
                }
                return proxy[0];
            });
        api.loadClass("io.chronik.api.metrics.MetricSource").getMethod("collect", sink).invoke(source, proxy[0]);
        return written;
    }
}
