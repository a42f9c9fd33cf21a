package io.chronik.metrics.prometheus.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import io.chronik.api.metrics.MetricSink;
import io.chronik.api.metrics.MetricSource;
import io.prometheus.client.CollectorRegistry;

public class MetricsEndpointIT {
    private static final String VERSION = "9.8.7-test";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private MetricsEndpoint endpoint;
    private InetSocketAddress bound;

    @Before
    public void setUp() throws IOException {
        endpoint = new MetricsEndpoint();
        bound = endpoint.start("127.0.0.1:0", VERSION);
    }

    @After
    public void tearDown() {
        endpoint.stop();
    }

    @Test
    public void servesBuildInfoAndJvmMetricsInTheTextFormat() throws Exception {
        HttpResponse<String> response = get("/metrics");
        assertEquals(200, response.statusCode());
        assertEquals("text/plain; version=0.0.4; charset=utf-8", response.headers().firstValue("Content-Type").get());
        String text = response.body();
        assertTrue(text, text.contains("# TYPE chronik_build_info gauge\n"));
        assertTrue(text, text.contains("chronik_build_info{version=\"" + VERSION + "\",} 1.0\n"));
        assertTrue(text, text.contains("jvm_memory_bytes_used{area=\"heap\",} "));
        assertTrue(text, text.contains("jvm_threads_current "));
        assertTrue(text, text.contains("jvm_gc_collection_seconds_count{gc="));
        assertTrue(text, text.contains("jvm_classes_currently_loaded "));
        assertTrue(text, text.contains("jvm_info{"));
        assertTrue(text, text.contains("process_cpu_seconds_total "));
        assertTrue(text, text.contains("jvm_buffer_pool_used_bytes{pool=\"direct\",} "));
        assertEquals("the same on /", text.lines().filter(l -> l.startsWith("#")).count(),
                get("/").body().lines().filter(l -> l.startsWith("#")).count());
        assertEquals("Exporter is Healthy.", get("/-/healthy").body());
    }

    @Test
    public void nothingGoesToTheDefaultRegistry() throws Exception {
        get("/metrics");
        assertFalse(CollectorRegistry.defaultRegistry.metricFamilySamples().hasMoreElements());
    }

    @Test
    public void servesTheCountersAndGaugesOfMetricSourcesUntilTheyAreRemoved() throws Exception {
        AtomicLong produced = new AtomicLong(3);
        endpoint.addSource(1L, sink -> {
            sink.family("chronik_test_requests", "Requests handled", MetricSink.Type.COUNTER, "api")
                    .sample(produced.get(), "produce")
                    .sample(5, "fetch");
            sink.family("chronik_test_queue_depth", "Queued requests", MetricSink.Type.GAUGE, "partition", "topic")
                    .sample(7, "0", "orders")
                    .sample(-1.5, "1", "a\"b\\c\nd");
            sink.family("chronik_test_up", "No labels", MetricSink.Type.GAUGE).sample(1);
        }, "test source");
        String text = scrape();
        assertTrue(text, text.contains("# HELP chronik_test_requests_total Requests handled\n"));
        assertTrue(text, text.contains("# TYPE chronik_test_requests_total counter\n"));
        assertTrue(text, text.contains("chronik_test_requests_total{api=\"produce\",} 3.0\n"));
        assertTrue(text, text.contains("chronik_test_requests_total{api=\"fetch\",} 5.0\n"));
        assertTrue(text, text.contains("# TYPE chronik_test_queue_depth gauge\n"));
        assertTrue(text, text.contains("chronik_test_queue_depth{partition=\"0\",topic=\"orders\",} 7.0\n"));
        assertTrue(text, text.contains("chronik_test_queue_depth{partition=\"1\",topic=\"a\\\"b\\\\c\\nd\",} -1.5\n"));
        assertTrue(text, text.contains("chronik_test_up 1.0\n"));

        produced.set(4);
        assertTrue(scrape().contains("chronik_test_requests_total{api=\"produce\",} 4.0\n"));

        assertTrue(endpoint.removeSource(1L));
        assertFalse(endpoint.removeSource(1L));
        text = scrape();
        assertFalse(text, text.contains("chronik_test_"));
        assertTrue(text, text.contains("chronik_build_info"));
    }

    @Test
    public void servesHistogramsWithCumulativeBucketsSumAndCount() throws Exception {
        endpoint.addSource(2L, sink -> sink.histogram("chronik_test_duration_seconds", "Request latency",
                new double[] {0.0005, 0.01, 2.5}, "node_id")
                .sample(new long[] {1, 2, 0, 3}, 7.25, "1"), "histogram source");
        String text = scrape();
        assertTrue(text, text.contains("# HELP chronik_test_duration_seconds Request latency\n"));
        assertTrue(text, text.contains("# TYPE chronik_test_duration_seconds histogram\n"));
        assertTrue(text, text.contains("chronik_test_duration_seconds_bucket{node_id=\"1\",le=\"5.0E-4\",} 1.0\n"
                + "chronik_test_duration_seconds_bucket{node_id=\"1\",le=\"0.01\",} 3.0\n"
                + "chronik_test_duration_seconds_bucket{node_id=\"1\",le=\"2.5\",} 3.0\n"
                + "chronik_test_duration_seconds_bucket{node_id=\"1\",le=\"+Inf\",} 6.0\n"
                + "chronik_test_duration_seconds_count{node_id=\"1\",} 6.0\n"
                + "chronik_test_duration_seconds_sum{node_id=\"1\",} 7.25\n"));
        // the name filter of a scrape selects the histogram by any of its sample names
        String filtered = get("/metrics?name[]=chronik_test_duration_seconds_count").body();
        assertTrue(filtered, filtered.contains("chronik_test_duration_seconds_count{node_id=\"1\",} 6.0\n"));
        assertFalse(filtered, filtered.contains("_bucket"));
    }

    @Test
    public void aThrowingSourceIsLeftOutWithoutBreakingTheScrape() throws Exception {
        endpoint.addSource("before", sink -> sink.family("chronik_before", "h", MetricSink.Type.GAUGE).sample(1),
                "before");
        endpoint.addSource("boom", sink -> {
            sink.family("chronik_boom_partial", "written before the failure", MetricSink.Type.GAUGE).sample(1);
            throw new IllegalStateException("boom");
        }, "boom");
        endpoint.addSource("error", sink -> {
            throw new NoClassDefFoundError("io/chronik/gone/Metrics");
        }, "linkage");
        endpoint.addSource("after", sink -> sink.family("chronik_after", "h", MetricSink.Type.COUNTER).sample(2),
                "after");
        for (int i = 0; i < 2; i++) {
            HttpResponse<String> response = get("/metrics");
            assertEquals(200, response.statusCode());
            String text = response.body();
            assertTrue(text, text.contains("chronik_before 1.0\n"));
            assertTrue(text, text.contains("chronik_after_total 2.0\n"));
            assertFalse(text, text.contains("chronik_boom"));
            assertTrue(text, text.contains("jvm_threads_current"));
        }
    }

    @Test
    public void aFamilyNameWrittenByAnotherSourceIsRejectedForThatSource() throws Exception {
        AtomicReference<IllegalArgumentException> rejected = new AtomicReference<>();
        endpoint.addSource("first", sink -> sink.family("chronik_shared", "first", MetricSink.Type.GAUGE).sample(1),
                "first");
        endpoint.addSource("second", sink -> {
            sink.family("chronik_second_own", "second", MetricSink.Type.GAUGE).sample(2);
            try {
                sink.family("chronik_shared", "second", MetricSink.Type.GAUGE);
            } catch (IllegalArgumentException e) {
                rejected.set(e);
                throw e;
            }
        }, "second");
        endpoint.addSource("third", sink -> sink.family("jvm_threads_current", "steals a JVM metric",
                MetricSink.Type.GAUGE).sample(-1), "third");
        endpoint.addSource("fourth", sink -> sink.family("chronik_build", "a prefix of chronik_build_info is no clash",
                MetricSink.Type.GAUGE).sample(4), "fourth");
        String text = scrape();
        assertTrue(text, text.contains("chronik_shared 1.0\n"));
        assertFalse(text, text.contains("chronik_shared 2.0"));
        assertFalse("the rejected source is dropped for the scrape", text.contains("chronik_second_own"));
        assertTrue(rejected.get().getMessage(), rejected.get().getMessage().contains("chronik_shared"));
        assertFalse(text, text.contains("jvm_threads_current -1.0"));
        assertEquals(1, text.lines().filter(l -> l.equals("# TYPE jvm_threads_current gauge")).count());
        assertTrue(text, text.contains("chronik_build 4.0\n"));

        endpoint.removeSource("first");
        text = scrape();
        assertTrue("without the first source the second one is fine", text.contains("chronik_second_own 2.0\n"));
        assertTrue(text, text.contains("# TYPE chronik_shared gauge\n"));
    }

    @Test
    public void nameFilteringIsHonoured() throws Exception {
        endpoint.addSource(1, sink -> {
            sink.family("chronik_a", "a", MetricSink.Type.COUNTER).sample(1);
            sink.family("chronik_b", "b", MetricSink.Type.GAUGE).sample(2);
        }, "filtered");
        String text = get("/metrics?name[]=chronik_build_info&name[]=chronik_a_total").body();
        assertTrue(text, text.contains("chronik_build_info{version=\"" + VERSION + "\",} 1.0\n"));
        assertTrue(text, text.contains("chronik_a_total 1.0\n"));
        assertFalse(text, text.contains("chronik_b 2.0") || text.contains("# TYPE chronik_b gauge"));
        assertFalse(text, text.contains("jvm_"));
        text = get("/metrics?name%5B%5D=jvm_threads_current").body();
        assertTrue(text, text.startsWith("# HELP jvm_threads_current "));
        assertEquals(text, 3, text.lines().count());
    }

    @Test
    public void aPortInUseFailsWithAMessageNamingTheAddress() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            String address = "127.0.0.1:" + taken.getLocalPort();
            MetricsEndpoint other = new MetricsEndpoint();
            try {
                other.start(address, VERSION);
                fail("bound a port in use");
            } catch (IOException e) {
                assertEquals("cannot listen on " + address + ": Address already in use", e.getMessage());
            }
            assertNull(other.address());
        }
        try (ServerSocket taken = new ServerSocket(0)) { // wildcard, like the default 0.0.0.0:9101
            String address = "0.0.0.0:" + taken.getLocalPort();
            try {
                new MetricsEndpoint().start(address, VERSION);
                fail("bound a port in use");
            } catch (IOException e) {
                assertEquals("cannot listen on " + address + ": Address already in use", e.getMessage());
            }
        }
        try {
            endpoint.start("127.0.0.1:0", VERSION);
            fail("started twice");
        } catch (IllegalStateException expected) {
            // ok
        }
    }

    @Test
    public void stopReleasesThePortAndStartRebinds() throws Exception {
        endpoint.addSource("kept", sink -> sink.family("chronik_kept", "h", MetricSink.Type.GAUGE).sample(1), "kept");
        int port = bound.getPort();
        endpoint.stop();
        endpoint.stop(); // idempotent
        assertNull(endpoint.address());
        try {
            get("/metrics");
            fail("still serving");
        } catch (ConnectException expected) {
            // ok
        }
        try (ServerSocket again = new ServerSocket(port, 50, InetAddress.getByName("127.0.0.1"))) {
            assertEquals(port, again.getLocalPort());
        }
        assertTrue("no build info while stopped", Collections.list(endpoint.registry().metricFamilySamples())
                .stream().noneMatch(f -> f.name.equals("chronik_build_info")));

        bound = endpoint.start("127.0.0.1:" + port, "2.0.0");
        assertEquals(port, bound.getPort());
        String text = scrape();
        assertTrue(text, text.contains("chronik_build_info{version=\"2.0.0\",} 1.0\n"));
        assertFalse(text, text.contains("version=\"" + VERSION + "\""));
        assertTrue("sources survive a restart", text.contains("chronik_kept 1.0\n"));
    }

    @Test
    public void invalidAddressesAreRejected() throws IOException {
        MetricsEndpoint other = new MetricsEndpoint();
        for (String address : new String[] {null, "", " ", "9101", "localhost", "host:", "host:port", ":-1",
            "host:65536", "::1:9101", "host:+80"}) {
            try {
                other.start(address, VERSION);
                other.stop();
                fail("accepted " + address);
            } catch (IllegalArgumentException e) {
                assertTrue(e.getMessage(), e.getMessage().contains("host:port"));
            }
        }
        try {
            other.start("no-such-host.invalid:0", VERSION);
            other.stop();
            fail();
        } catch (IOException e) {
            assertTrue(e.getMessage(), e.getMessage().startsWith("cannot listen on no-such-host.invalid:0: "));
        }
    }

    @Test
    public void ipv6AndWildcardAddresses() throws Exception {
        endpoint.stop();
        bound = endpoint.start(":0", VERSION); // empty host: wildcard
        assertTrue(bound.getAddress().isAnyLocalAddress());
        assertEquals(200, get("/metrics").statusCode());
        endpoint.stop();
        try {
            bound = endpoint.start("[::1]:0", VERSION);
        } catch (IOException e) {
            return; // no IPv6 loopback here
        }
        assertEquals(InetAddress.getByName("::1"), bound.getAddress());
    }

    @Test
    public void concurrentScrapesSeeConsistentOutput() throws Exception {
        for (int s = 0; s < 5; s++) {
            int id = s;
            endpoint.addSource(s, sink -> sink.family("chronik_src_" + id, "h", MetricSink.Type.GAUGE, "n")
                    .sample(id, "x"), "src" + s);
        }
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<String>> scrapes = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                scrapes.add(pool.submit(this::scrape));
            }
            for (Future<String> f : scrapes) {
                String text = f.get(30, TimeUnit.SECONDS);
                for (int s = 0; s < 5; s++) {
                    assertTrue(text, text.contains("chronik_src_" + s + "{n=\"x\",} " + s + ".0\n"));
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    public void addingUnderAnExistingKeyReplacesTheSource() throws Exception {
        MetricSource one = sink -> sink.family("chronik_one", "h", MetricSink.Type.GAUGE).sample(1);
        MetricSource two = sink -> sink.family("chronik_two", "h", MetricSink.Type.GAUGE).sample(2);
        endpoint.addSource("k", one, "one");
        endpoint.addSource("k", two, "two");
        String text = scrape();
        assertFalse(text, text.contains("chronik_one"));
        assertTrue(text, text.contains("chronik_two 2.0"));
        assertNotEquals(0, bound.getPort());
    }

    private String scrape() throws IOException, InterruptedException {
        HttpResponse<String> response = get("/metrics");
        assertEquals(200, response.statusCode());
        return response.body();
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + bound.getPort() + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
