package io.chronik.metrics.prometheus.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;

import org.junit.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.Version;

import io.chronik.api.metrics.MetricSink;
import io.chronik.api.metrics.MetricSource;

/** The component outside OSGi, with stand-ins for the framework objects SCR would pass. */
public class PrometheusMetricsIT {

    @Test
    public void activationServesTheBundlesVersionAndBoundSources() throws Exception {
        int port = freePort();
        PrometheusMetrics component = new PrometheusMetrics(context("1.4.2-SNAPSHOT", "1.4.2.SNAPSHOT"),
                config("127.0.0.1:" + port));
        try {
            assertTrue(scrape(port).contains("chronik_build_info{version=\"1.4.2-SNAPSHOT\",} 1.0\n"));

            MetricSource source = sink -> sink.family("chronik_comp", "h", MetricSink.Type.COUNTER, "k").sample(1, "v");
            ServiceReference<MetricSource> reference = reference(42L, "io.chronik.archive");
            component.bindSource(source, reference);
            assertTrue(scrape(port).contains("chronik_comp_total{k=\"v\",} 1.0\n"));
            component.unbindSource(source, reference);
            assertFalse(scrape(port).contains("chronik_comp"));
        } finally {
            component.deactivate();
        }
        try (ServerSocket again = new ServerSocket(port, 50, InetAddress.getByName("127.0.0.1"))) {
            assertEquals("deactivation released the port", port, again.getLocalPort());
        }
        // SCR unbinds after deactivation: harmless
        component.unbindSource(sink -> { }, reference(43L, "x"));
    }

    @Test
    public void activationFailsWhenThePortIsTaken() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            String address = "127.0.0.1:" + taken.getLocalPort();
            try {
                new PrometheusMetrics(context(null, "1.0.0"), config(address));
                fail();
            } catch (IOException e) {
                assertEquals("cannot listen on " + address + ": Address already in use", e.getMessage());
            }
        }
    }

    @Test
    public void versions() {
        assertEquals("0.1.0-SNAPSHOT", PrometheusMetrics.version(Version.parseVersion("0.1.0.SNAPSHOT")));
        assertEquals("1.2.3", PrometheusMetrics.version(Version.parseVersion("1.2.3")));
        assertEquals("1.2.3.rc1", PrometheusMetrics.version(Version.parseVersion("1.2.3.rc1")));
        assertEquals("0.1.0-SNAPSHOT", PrometheusMetrics.version(bundle(null, "0.1.0.SNAPSHOT")));
        assertEquals("2.0.0-rc1", PrometheusMetrics.version(bundle("2.0.0-rc1", "2.0.0.rc1")));
    }

    private static String scrape(int port) throws IOException, InterruptedException {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        return response.body();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    private static MetricsConfig config(String address) {
        return proxy(MetricsConfig.class, Map.of("address", address));
    }

    private static BundleContext context(String implementationVersion, String bundleVersion) {
        Bundle bundle = bundle(implementationVersion, bundleVersion);
        return proxy(BundleContext.class, Map.of("getBundle", bundle));
    }

    private static Bundle bundle(String implementationVersion, String bundleVersion) {
        Dictionary<String, String> headers = new Hashtable<>();
        headers.put("Bundle-Version", bundleVersion);
        if (implementationVersion != null) {
            headers.put("Implementation-Version", implementationVersion);
        }
        return proxy(Bundle.class, Map.of("getHeaders", headers, "getVersion", Version.parseVersion(bundleVersion),
                "getSymbolicName", "io.chronik.metrics.prometheus"));
    }

    @SuppressWarnings("unchecked")
    private static ServiceReference<MetricSource> reference(long id, String bsn) {
        Bundle owner = proxy(Bundle.class, Map.of("getSymbolicName", bsn));
        return proxy(ServiceReference.class, Map.of("getBundle", owner,
                "getProperty", (java.util.function.Function<String, Object>) key -> "service.id".equals(key) ? id : null));
    }

    @SuppressWarnings("unchecked")
    private static <T> T proxy(Class<T> type, Map<String, Object> answers) {
        return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (p, method, args) -> {
            Object answer = answers.get(method.getName());
            if (answer instanceof java.util.function.Function) {
                return ((java.util.function.Function<Object, Object>) answer).apply(args[0]);
            }
            if (answer != null) {
                return answer;
            }
            if (method.getName().equals("toString")) {
                return type.getSimpleName() + " stand-in";
            }
            if (method.getName().equals("hashCode")) {
                return System.identityHashCode(p);
            }
            if (method.getName().equals("equals")) {
                return p == args[0];
            }
            throw new UnsupportedOperationException(type.getSimpleName() + "." + method.getName());
        });
    }
}
