package io.chronik.ratis;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.ServiceLoader;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;

/**
 * Installs the packaged bundle into a plain Felix framework whose system bundle exports only the JDK and SLF4J
 * (as in the distribution), and checks that it resolves, starts and can create Ratis objects through its own
 * class loader.
 */
public class OsgiResolveIT {
    private Framework framework;
    private Path storage;

    @Before
    public void startFramework() throws Exception {
        storage = Files.createTempDirectory("felix");
        Map<String, String> config = new HashMap<>();
        config.put(Constants.FRAMEWORK_STORAGE, storage.toString());
        config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        config.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, "org.slf4j;version=" + System.getProperty("slf4j.version", "2.0.17")
                + ",org.slf4j.spi;version=" + System.getProperty("slf4j.version", "2.0.17")
                + ",org.slf4j.helpers;version=" + System.getProperty("slf4j.version", "2.0.17"));
        FrameworkFactory factory = ServiceLoader.load(FrameworkFactory.class).iterator().next();
        framework = factory.newFramework(config);
        framework.start();
    }

    @After
    public void stopFramework() throws Exception {
        if (framework != null) {
            framework.stop();
            framework.waitForStop(10_000);
        }
    }

    @Test
    public void resolvesAndStartsInPlainFelix() throws Exception {
        File jar = new File(System.getProperty("bundle.file"));
        assertTrue("bundle jar " + jar, jar.isFile());
        Bundle bundle = framework.getBundleContext().installBundle(jar.toURI().toString());
        bundle.start();
        assertEquals(Bundle.ACTIVE, bundle.getState());
        assertEquals("io.chronik.ratis", bundle.getSymbolicName());

        // Ratis classes from both halves of the split packages, the shaded third-party code and the metrics impl
        Class<?> props = bundle.loadClass("org.apache.ratis.conf.RaftProperties");
        Object properties = props.getConstructor().newInstance();
        assertNotNull(properties);
        assertNotNull(bundle.loadClass("org.apache.ratis.server.RaftServer"));                 // ratis-server-api
        assertNotNull(bundle.loadClass("org.apache.ratis.server.impl.ServerImplUtils"));        // ratis-server
        assertNotNull(bundle.loadClass("org.apache.ratis.server.RaftServerConfigKeys"));        // ratis-server-api
        assertNotNull(bundle.loadClass("org.apache.ratis.thirdparty.io.grpc.ManagedChannelProvider"));

        // the metrics implementation is found through ServiceLoader with the bundle's own class loader
        Class<?> registries = bundle.loadClass("org.apache.ratis.metrics.MetricRegistries");
        Object global = registries.getMethod("global").invoke(null);
        assertEquals("io.chronik.ratis.internal.metrics.CountingMetricRegistries", global.getClass().getName());

        // the user-defined RpcType is resolvable by name through Ratis' reflection
        Class<?> rpcType = bundle.loadClass("org.apache.ratis.rpc.RpcType");
        Object type = rpcType.getMethod("valueOf", String.class).invoke(null, "io.chronik.ratis.rpc.TransportRpcType");
        assertEquals("io.chronik.ratis.rpc.TransportRpcType", type.getClass().getName());
        assertNotNull(bundle.loadClass("io.chronik.ratis.rpc.RaftTransport")); // the transport SPI, exported
    }
}
