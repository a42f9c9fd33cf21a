package io.chronik.ratis;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.osgi.framework.Bundle;

import io.chronik.testing.EmbeddedFelix;

/**
 * Installs the packaged bundle into a plain Felix framework whose system bundle exports only the JDK and SLF4J
 * (as in the distribution), and checks that it resolves, starts and can create Ratis objects through its own
 * class loader.
 */
public class OsgiResolveIT {
    private EmbeddedFelix felix;

    @Before
    public void startFramework() throws Exception {
        felix = EmbeddedFelix.builder().slf4j(System.getProperty("slf4j.version", "2.0.17")).start();
    }

    @After
    public void stopFramework() throws Exception {
        if (felix != null) {
            felix.close();
        }
    }

    @Test
    public void resolvesAndStartsInPlainFelix() throws Exception {
        Path jar = Path.of(System.getProperty("bundle.file"));
        assertTrue("bundle jar " + jar, Files.isRegularFile(jar));
        Bundle bundle = felix.install(jar);
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
