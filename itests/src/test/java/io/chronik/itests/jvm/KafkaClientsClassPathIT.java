package io.chronik.itests.jvm;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNotSame;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.protocol.ApiKeys;
import org.junit.Rule;
import org.junit.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.wiring.BundleWiring;

/**
 * kafka-clients on the launcher's class path (lib/, for {@code chronik cluster health}) stays out of the OSGi
 * framework: in a node started exactly as {@code bin/chronik start} starts one ({@link JvmCluster}), with
 * kafka-clients on the class path of the JVM as in the distribution, the system bundle exports no
 * {@code org.apache.kafka} package, and io.chronik.protocol.kafka loads kafka-clients' classes from its own embedded
 * copy, not from the class path; the node serves a Kafka client all the same.
 */
public class KafkaClientsClassPathIT {
    @Rule
    public final JvmCluster cluster = new JvmCluster(1);

    @Test
    public void theFrameworkKeepsItsOwnKafkaClients() throws Exception {
        cluster.start();
        BundleContext context = cluster.node(1).embedded().bundleContext();

        List<String> exported = context.getBundle(0).adapt(BundleWiring.class).getCapabilities("osgi.wiring.package")
                .stream().map(c -> String.valueOf(c.getAttributes().get("osgi.wiring.package"))).toList();
        assertTrue("the system bundle exports SLF4J from the class path: " + exported, exported.contains("org.slf4j"));
        assertEquals("kafka-clients packages exported by the system bundle", List.of(),
                exported.stream().filter(p -> p.startsWith("org.apache.kafka")).toList());

        Bundle protocol = Arrays.stream(context.getBundles())
                .filter(b -> "io.chronik.protocol.kafka".equals(b.getSymbolicName())).findFirst().orElse(null);
        assertNotNull("io.chronik.protocol.kafka installed", protocol);
        Class<?> seenByBundle = protocol.loadClass(ApiKeys.class.getName());
        assertNotSame("the class path's ApiKeys", ApiKeys.class, seenByBundle);
        assertSame(protocol.adapt(BundleWiring.class).getClassLoader(), seenByBundle.getClassLoader());

        try (Admin admin = cluster.admin()) {
            assertEquals(1, admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).size());
        }
    }
}
