package io.chronik.protocol.kafka.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.Method;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;

import io.chronik.api.consensus.ClusterMetadata;
import io.chronik.api.consensus.PartitionLogs;

/**
 * The built bundle (target/classes, with bnd's manifest and the embedded kafka-clients and Netty) in a plain Felix
 * whose system bundle exports only the JDK, the OSGi framework, io.chronik.api.consensus and .net, and SLF4J: it resolves,
 * SCR activates the component once it is configured and both services are present, it serves Kafka requests, and
 * it closes the listener when a mandatory service goes away.
 */
public class OsgiComponentTest {
    private Framework framework;
    private Path storage;
    private InMemoryCluster cluster;

    @Before
    public void startFramework() throws Exception {
        storage = Files.createTempDirectory("felix");
        Map<String, String> props = new HashMap<>();
        props.put("org.osgi.framework.storage", storage.toString());
        props.put("org.osgi.framework.storage.clean", "onFirstInit");
        String slf4j = "2.0.17";
        props.put("org.osgi.framework.system.packages.extra", String.join(",",
                "io.chronik.api.consensus;version=1.2.0", "io.chronik.api.net;version=1.0.0",
                "org.slf4j;version=" + slf4j, "org.slf4j.spi;version=" + slf4j,
                "org.slf4j.event;version=" + slf4j, "org.slf4j.helpers;version=" + slf4j));
        FrameworkFactory factory = ServiceLoader.load(FrameworkFactory.class).iterator().next();
        framework = factory.newFramework(props);
        framework.start();
        cluster = new InMemoryCluster(1);
    }

    @After
    public void stopFramework() throws Exception {
        if (framework != null) {
            framework.stop();
            framework.waitForStop(10_000);
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private static String jarOf(String resource) {
        URL url = OsgiComponentTest.class.getClassLoader().getResource(resource);
        assertNotNull(resource, url);
        String s = url.toString(); // jar:file:/...jar!/resource
        return s.substring(4, s.indexOf("!/"));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    public void resolvesActivatesServesAndDeactivates() throws Exception {
        BundleContext ctx = framework.getBundleContext();
        Bundle[] bundles = {
            ctx.installBundle(jarOf("org/osgi/util/function/Function.class")),
            ctx.installBundle(jarOf("org/osgi/util/promise/Promise.class")),
            ctx.installBundle(jarOf("org/osgi/service/component/ComponentContext.class")),
            ctx.installBundle(jarOf("org/apache/felix/cm/impl/ConfigurationAdminImpl.class")),
            ctx.installBundle(jarOf("org/apache/felix/scr/impl/Activator.class")),
        };
        for (Bundle b : bundles) {
            b.start();
        }
        File classes = new File("target/classes").getAbsoluteFile();
        assertTrue(new File(classes, "META-INF/MANIFEST.MF").isFile());
        Bundle protocol = ctx.installBundle("reference:file:" + classes.getPath());
        protocol.start(); // throws if any mandatory import does not resolve
        assertEquals("io.chronik.protocol.kafka", protocol.getSymbolicName());
        assertEquals(Bundle.ACTIVE, protocol.getState());

        int port = freePort();
        cluster.setPort(port);
        cluster.createTopic("osgi", 1, 1, Map.of()).toCompletableFuture().get(5, TimeUnit.SECONDS);
        ServiceRegistration<?> reg = ctx.registerService(
                new String[] {ClusterMetadata.class.getName(), PartitionLogs.class.getName()}, cluster, null);
        configure(ctx, Map.of("kafka.addr", "127.0.0.1:" + port, "node.id", "1"));

        RawClient client = connect(port);
        try {
            client.send(ApiKeys.API_VERSIONS, (short) 3, 1, new ApiVersionsRequestData().setClientSoftwareName("osgi")
                    .setClientSoftwareVersion("1"));
            ApiVersionsResponseData av = client.receive(ApiKeys.API_VERSIONS, (short) 3, 1);
            assertEquals(Errors.NONE.code(), av.errorCode());
            client.send(ApiKeys.METADATA, (short) 12, 2, new MetadataRequestData().setTopics(null));
            MetadataResponseData md = client.receive(ApiKeys.METADATA, (short) 12, 2);
            assertNotNull(md.topics().find("osgi"));
            assertEquals(port, md.brokers().find(1).port());
        } finally {
            client.close();
        }

        // the mandatory services go away: the component deactivates and closes its listener
        reg.unregister();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                if (System.nanoTime() > deadline) {
                    fail("the listener is still open after the services were unregistered");
                }
                Thread.sleep(50);
            } catch (ConnectException e) {
                break;
            }
        }
    }

    private static RawClient connect(int port) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try {
                return new RawClient(port);
            } catch (ConnectException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(50);
            }
        }
    }

    /** ConfigurationAdmin through its bundle's own class (the test does not share the cm package with it). */
    private static void configure(BundleContext ctx, Map<String, String> values) throws Exception {
        ServiceReference<?> ref = null;
        for (Bundle b : ctx.getBundles()) {
            for (ServiceReference<?> r : b.getRegisteredServices() == null ? new ServiceReference<?>[0] : b.getRegisteredServices()) {
                if (java.util.Arrays.asList((String[]) r.getProperty("objectClass")).contains("org.osgi.service.cm.ConfigurationAdmin")) {
                    ref = r;
                }
            }
        }
        assertNotNull("ConfigurationAdmin is registered", ref);
        Object ca = ctx.getService(ref);
        Class<?> caType = ref.getBundle().loadClass("org.osgi.service.cm.ConfigurationAdmin");
        Object config = caType.getMethod("getConfiguration", String.class, String.class)
                .invoke(ca, "io.chronik.protocol.kafka", "?");
        Class<?> configType = ref.getBundle().loadClass("org.osgi.service.cm.Configuration");
        Dictionary<String, Object> dict = new Hashtable<>(values);
        Method update = configType.getMethod("update", Dictionary.class);
        update.invoke(config, dict);
    }
}
