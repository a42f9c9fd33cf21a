package io.chronik.storage.s3.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;

import io.chronik.api.metrics.MetricSource;
import io.chronik.api.store.ObjectStore;
import io.chronik.api.store.ObjectStoreStatus;
import io.chronik.testing.EmbeddedFelix;
import io.chronik.testing.RecordingMetricSink;

/**
 * The packaged bundle (the SDK embedded on its Bundle-ClassPath) in a plain Felix framework with SCR and ConfigAdmin,
 * as in the distribution: it resolves and starts with no configuration and registers nothing; configured with a bucket
 * that is missing (and may not be created) it still registers no store, and its status says why (service properties
 * and metrics); configured against s3proxy it registers an
 * {@link ObjectStore} with {@code store.name=s3} that round-trips objects; stopped, the service goes away.
 */
public class OsgiStoreIT {
    private static final String PID = "io.chronik.storage.s3";

    private EmbeddedFelix felix;
    private S3Proxies server;

    @Before
    public void start() throws Exception {
        server = S3Proxies.start();
        felix = EmbeddedFelix.builder()
                .systemPackagesOf(ObjectStore.class, MetricSource.class) // the api's packages, shared with this test
                .slf4j(System.getProperty("slf4j.version", "2.0.17"))
                .start();
    }

    @After
    public void stop() throws Exception {
        if (felix != null) {
            felix.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    public void registersAWorkingStoreOnlyWhenConfiguredWithAReachableBucket() throws Exception {
        List<Path> runtime = new ArrayList<>();
        for (String resource : List.of(
                "org/osgi/util/function/Function.class",
                "org/osgi/util/promise/Promise.class",
                "org/osgi/service/component/ComponentContext.class",
                "org/apache/felix/cm/impl/ConfigurationAdminImpl.class",
                "org/apache/felix/scr/impl/Activator.class")) {
            runtime.add(EmbeddedFelix.classPathJar(resource));
        }
        felix.installAndStart(runtime);
        Path jar = Path.of(System.getProperty("bundle.file"));
        assertTrue("bundle jar " + jar, Files.isRegularFile(jar));
        Bundle bundle = felix.install(jar);
        bundle.start(); // throws if a mandatory import does not resolve
        assertEquals(Bundle.ACTIVE, bundle.getState());
        assertEquals("io.chronik.storage.s3", bundle.getSymbolicName());

        Thread.sleep(1000);
        assertNull("no configuration, no store", reference());

        Map<String, Object> properties = new HashMap<>();
        properties.put("bucket", "osgi-bucket");
        properties.put("endpoint", server.endpoint().toString());
        properties.put("region", "us-east-1");
        properties.put("access.key.id", S3Proxies.ACCESS_KEY);
        properties.put("secret.access.key", S3Proxies.SECRET_KEY);
        properties.put("path.style", true);
        properties.put("create.bucket", false);
        felix.configure(PID, properties);
        ServiceReference<?> status = awaitStatus(ObjectStoreStatus.UNAVAILABLE);
        assertNull("a missing bucket that may not be created: no store", reference());
        String problem = (String) status.getProperty(ObjectStoreStatus.PROBLEM);
        assertTrue(problem, problem.startsWith("object store 's3' (s3://osgi-bucket/ at " + server.endpoint() + ")"));
        assertTrue(problem, problem.contains("the bucket 'osgi-bucket' does not exist"));
        assertEquals("s3", status.getProperty(ObjectStore.STORE_NAME));
        Map<String, Double> unavailable = RecordingMetricSink.collect((MetricSource) felix.context().getService(status));
        assertEquals(Double.valueOf(0), unavailable.get("chronik_s3_store_available{store=\"s3\"}"));
        assertTrue(unavailable.toString(), unavailable.get("chronik_s3_store_check_failures_total{store=\"s3\"}") >= 1);

        properties.put("create.bucket", true);
        properties.put("key.prefix", "cluster-1");
        felix.configure(PID, properties);
        ObjectStore store = (ObjectStore) felix.awaitService(ObjectStore.class.getName(), Duration.ofSeconds(30));
        ServiceReference<?> reference = reference();
        assertEquals("s3", reference.getProperty(ObjectStore.STORE_NAME));
        assertEquals(bundle, reference.getBundle());
        assertEquals("osgi-bucket", reference.getProperty("bucket"));
        status = awaitStatus(ObjectStoreStatus.AVAILABLE);
        assertNull(status.getProperty(ObjectStoreStatus.PROBLEM));
        assertEquals(Double.valueOf(1), RecordingMetricSink.collect((MetricSource) felix.context().getService(status))
                .get("chronik_s3_store_available{store=\"s3\"}"));

        byte[] data = "inside felix".getBytes(UTF_8);
        store.put("snapshots/g-1/1.snap", data);
        assertEquals(12, store.put("snapshots/g-1/2.snap", new ByteArrayInputStream(data)));
        try (InputStream in = store.get("snapshots/g-1/1.snap")) {
            assertArrayEquals(data, in.readAllBytes());
        }
        assertArrayEquals("felix".getBytes(UTF_8), store.get("snapshots/g-1/2.snap", 7, 100));
        assertEquals(List.of("snapshots/g-1/1.snap", "snapshots/g-1/2.snap"), store.list("snapshots/"));
        assertTrue(store.delete("snapshots/g-1/1.snap"));
        assertFalse(store.delete("snapshots/g-1/1.snap"));

        // the same registration is the store's MetricSource
        assertTrue(store instanceof MetricSource);
        Map<String, Double> samples = RecordingMetricSink.collect((MetricSource) store);
        assertEquals(Double.valueOf(2), samples.get("chronik_s3_operations_total{store=\"s3\",operation=\"put\"}"));
        assertEquals(Double.valueOf(24), samples.get("chronik_s3_written_bytes_total{store=\"s3\"}"));
        assertEquals(Double.valueOf(0),
                samples.get("chronik_s3_operation_failures_total{store=\"s3\",operation=\"delete\"}"));

        bundle.stop();
        felix.awaitNoService(ObjectStore.class.getName(), Duration.ofSeconds(30));
        felix.awaitNoService(ObjectStoreStatus.class.getName(), Duration.ofSeconds(30));
    }

    /** Waits for the store's status service to be in {@code state}. */
    private ServiceReference<?> awaitStatus(String state) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            ServiceReference<?>[] refs = felix.context().getAllServiceReferences(ObjectStoreStatus.class.getName(),
                    "(&(" + ObjectStore.STORE_NAME + "=s3)(" + ObjectStoreStatus.STATE + "=" + state + "))");
            if (refs != null) {
                return refs[0];
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the S3 store's status did not become " + state);
            }
            Thread.sleep(50);
        }
    }

    private ServiceReference<?> reference() throws Exception {
        ServiceReference<?>[] refs = felix.context().getAllServiceReferences(ObjectStore.class.getName(),
                "(" + ObjectStore.STORE_NAME + "=s3)");
        return refs == null ? null : refs[0];
    }
}
