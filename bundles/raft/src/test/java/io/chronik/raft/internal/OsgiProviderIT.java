package io.chronik.raft.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;

/**
 * The provider as a bundle: Felix + SCR + ConfigAdmin + api, ratis, transport-grpc, log and this bundle. With a
 * configuration for {@code io.chronik.raft} the node starts and registers ClusterMetadata and PartitionLogs;
 * stopping the transport bundle takes them away, starting it again brings them back.
 */
public class OsgiProviderIT {
    private Framework framework;
    private Path storage;

    @Before
    public void startFramework() throws Exception {
        storage = Files.createTempDirectory("felix-raft");
        Map<String, String> config = new HashMap<>();
        config.put(Constants.FRAMEWORK_STORAGE, storage.resolve("cache").toString());
        config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        String v = System.getProperty("slf4j.version", "2.0.17");
        config.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, "org.slf4j;version=" + v + ",org.slf4j.spi;version=" + v
                + ",org.slf4j.event;version=" + v + ",org.slf4j.helpers;version=" + v);
        config.put("ds.loglevel", "warn");
        framework = ServiceLoader.load(FrameworkFactory.class).iterator().next().newFramework(config);
        framework.start();
    }

    @After
    public void stopFramework() throws Exception {
        if (framework != null) {
            framework.stop();
            framework.waitForStop(30_000);
        }
    }

    @Test
    public void providerStartsInFelixAndFollowsItsTransport() throws Exception {
        BundleContext ctx = framework.getBundleContext();
        List<Bundle> bundles = new ArrayList<>();
        File[] jars = new File(System.getProperty("it.bundles")).listFiles((d, n) -> n.endsWith(".jar"));
        Arrays.sort(jars);
        for (File f : jars) {
            bundles.add(ctx.installBundle(f.toURI().toString()));
        }
        bundles.add(ctx.installBundle(new File(System.getProperty("bundle.file")).toURI().toString()));
        for (Bundle b : bundles) {
            b.start();
        }
        for (Bundle b : bundles) {
            assertEquals(b.getSymbolicName() + " not active", Bundle.ACTIVE, b.getState());
        }
        Bundle transport = bundles.stream().filter(b -> b.getSymbolicName().equals("io.chronik.transport.grpc")).findFirst().orElseThrow();

        // configure the node through ConfigAdmin (reflectively: the test does not share the framework's CM classes)
        ServiceReference<?> cmRef = ctx.getServiceReference("org.osgi.service.cm.ConfigurationAdmin");
        Object cm = ctx.getService(cmRef);
        Bundle cmBundle = cmRef.getBundle();
        Object configuration = cmBundle.loadClass("org.osgi.service.cm.ConfigurationAdmin")
                .getMethod("getConfiguration", String.class, String.class).invoke(cm, "io.chronik.raft", "?");
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("node.id", "1");
        props.put("raft.addr", "127.0.0.1:" + TestNodes.freePort());
        props.put("data.dir", storage.resolve("data").toString());
        props.put("advertised.addr", "localhost:19092");
        cmBundle.loadClass("org.osgi.service.cm.Configuration").getMethod("update", Dictionary.class)
                .invoke(configuration, props);

        Object metadata = awaitService(ctx, "io.chronik.api.consensus.ClusterMetadata", true);
        assertNotNull(awaitService(ctx, "io.chronik.api.consensus.PartitionLogs", true));
        Bundle api = bundles.stream().filter(b -> b.getSymbolicName().equals("io.chronik.api")).findFirst().orElseThrow();
        Method clusterId = api.loadClass("io.chronik.api.consensus.ClusterMetadata").getMethod("clusterId");
        assertEquals(22, ((String) clusterId.invoke(metadata)).length());
        assertTrue(Files.isDirectory(storage.resolve("data").resolve("raft")));

        transport.stop();
        assertNull(awaitService(ctx, "io.chronik.api.consensus.ClusterMetadata", false));
        transport.start();
        assertNotNull(awaitService(ctx, "io.chronik.api.consensus.ClusterMetadata", true));
    }

    private static Object awaitService(BundleContext ctx, String name, boolean present) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline) {
            // all references: this (system) bundle's class path has its own copy of the API classes
            ServiceReference<?>[] refs;
            try {
                refs = ctx.getAllServiceReferences(name, null);
            } catch (org.osgi.framework.InvalidSyntaxException e) {
                throw new IllegalStateException(e);
            }
            ServiceReference<?> ref = refs == null ? null : refs[0];
            if (present && ref != null) {
                return ctx.getService(ref);
            }
            if (!present && ref == null) {
                return null;
            }
            Thread.sleep(50);
        }
        throw new AssertionError(name + (present ? " never registered" : " never unregistered"));
    }
}
