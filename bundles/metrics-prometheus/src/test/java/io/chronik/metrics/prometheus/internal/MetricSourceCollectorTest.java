package io.chronik.metrics.prometheus.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import org.junit.Test;

import io.chronik.api.metrics.MetricSink;
import io.chronik.api.metrics.MetricSink.Type;
import io.prometheus.client.Collector;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.exporter.common.TextFormat;
import io.prometheus.client.Collector.MetricFamilySamples;
import io.prometheus.client.Collector.MetricFamilySamples.Sample;

public class MetricSourceCollectorTest {

    @Test
    public void countersAndGaugesBecomeSimpleclientFamilies() {
        List<MetricFamilySamples> families = collect(sink -> {
            sink.family("chronik_requests", "Requests", Type.COUNTER, "api").sample(3, "produce").sample(4, "fetch");
            sink.family("chronik_bytes_total", "counter given with _total", Type.COUNTER).sample(10);
            sink.family("chronik_depth", "Depth", Type.GAUGE).sample(Double.NaN);
            sink.family("chronik_empty", null, Type.GAUGE, "x");
        });
        assertEquals(4, families.size());
        MetricFamilySamples requests = families.get(0);
        assertEquals("chronik_requests", requests.name);
        assertEquals(Collector.Type.COUNTER, requests.type);
        assertEquals("Requests", requests.help);
        assertEquals(List.of(new Sample("chronik_requests_total", List.of("api"), List.of("produce"), 3),
                new Sample("chronik_requests_total", List.of("api"), List.of("fetch"), 4)), requests.samples);
        assertEquals("chronik_bytes", families.get(1).name);
        assertEquals("chronik_bytes_total", families.get(1).samples.get(0).name);
        assertEquals(Collector.Type.GAUGE, families.get(2).type);
        assertTrue(Double.isNaN(families.get(2).samples.get(0).value));
        assertEquals("", families.get(3).help);
        assertEquals(List.of(), families.get(3).samples);
    }

    @Test
    public void histogramsBecomeCumulativeBucketsWithCountAndSum() {
        List<MetricFamilySamples> families = collect(sink -> {
            MetricSink.Histogram h = sink.histogram("chronik_wait_seconds", "Wait", new double[] {0.001, 0.5}, "node_id");
            h.sample(new long[] {2, 0, 5}, 12.5, "1").sample(new long[] {0, 0, 0}, 0, "2");
            sink.histogram("chronik_plain_seconds", null, new double[0]).sample(new long[] {4}, 1.5);
        });
        assertEquals(2, families.size());
        MetricFamilySamples wait = families.get(0);
        assertEquals(Collector.Type.HISTOGRAM, wait.type);
        assertEquals("Wait", wait.help);
        List<String> le = List.of("node_id", "le");
        List<String> node = List.of("node_id");
        assertEquals(List.of(
                new Sample("chronik_wait_seconds_bucket", le, List.of("1", "0.001"), 2),
                new Sample("chronik_wait_seconds_bucket", le, List.of("1", "0.5"), 2),
                new Sample("chronik_wait_seconds_bucket", le, List.of("1", "+Inf"), 7),
                new Sample("chronik_wait_seconds_count", node, List.of("1"), 7),
                new Sample("chronik_wait_seconds_sum", node, List.of("1"), 12.5),
                new Sample("chronik_wait_seconds_bucket", le, List.of("2", "0.001"), 0),
                new Sample("chronik_wait_seconds_bucket", le, List.of("2", "0.5"), 0),
                new Sample("chronik_wait_seconds_bucket", le, List.of("2", "+Inf"), 0),
                new Sample("chronik_wait_seconds_count", node, List.of("2"), 0),
                new Sample("chronik_wait_seconds_sum", node, List.of("2"), 0)), wait.samples);
        assertEquals(List.of(
                new Sample("chronik_plain_seconds_bucket", List.of("le"), List.of("+Inf"), 4),
                new Sample("chronik_plain_seconds_count", List.of(), List.of(), 4),
                new Sample("chronik_plain_seconds_sum", List.of(), List.of(), 1.5)), families.get(1).samples);
        assertEquals("", families.get(1).help);
    }

    @Test
    public void theHistogramTextExpositionHasBucketsWithLeSumAndCount() throws IOException {
        CollectorRegistry registry = new CollectorRegistry();
        registry.register(new MetricSourceCollector(sink -> sink.histogram("chronik_rounds_seconds", "Rounds",
                new double[] {0.25, 1}, "node_id").sample(new long[] {1, 1, 1}, 3.5, "7"), "test"));
        StringWriter text = new StringWriter();
        TextFormat.write004(text, registry.metricFamilySamples());
        assertEquals("# HELP chronik_rounds_seconds Rounds\n"
                + "# TYPE chronik_rounds_seconds histogram\n"
                + "chronik_rounds_seconds_bucket{node_id=\"7\",le=\"0.25\",} 1.0\n"
                + "chronik_rounds_seconds_bucket{node_id=\"7\",le=\"1.0\",} 2.0\n"
                + "chronik_rounds_seconds_bucket{node_id=\"7\",le=\"+Inf\",} 3.0\n"
                + "chronik_rounds_seconds_count{node_id=\"7\",} 3.0\n"
                + "chronik_rounds_seconds_sum{node_id=\"7\",} 3.5\n", text.toString());
    }

    @Test
    public void invalidHistogramsAreRejected() {
        double[] bounds = {0.1, 1};
        assertRejected("bad name", sink -> sink.histogram("a-b", "h", bounds));
        assertRejected("le label", sink -> sink.histogram("chronik_h", "h", bounds, "le"));
        assertRejected("null bounds", sink -> sink.histogram("chronik_h", "h", null));
        assertRejected("decreasing", sink -> sink.histogram("chronik_h", "h", new double[] {1, 0.1}));
        assertRejected("equal", sink -> sink.histogram("chronik_h", "h", new double[] {1, 1}));
        assertRejected("NaN", sink -> sink.histogram("chronik_h", "h", new double[] {Double.NaN}));
        assertRejected("+Inf given", sink -> sink.histogram("chronik_h", "h", new double[] {1, Double.POSITIVE_INFINITY}));
        assertRejected("too few counts", sink -> sink.histogram("chronik_h", "h", bounds).sample(new long[] {1, 2}, 0));
        assertRejected("too many counts", sink -> sink.histogram("chronik_h", "h", bounds).sample(new long[4], 0));
        assertRejected("null counts", sink -> sink.histogram("chronik_h", "h", bounds).sample(null, 0));
        assertRejected("negative", sink -> sink.histogram("chronik_h", "h", bounds).sample(new long[] {1, -1, 0}, 0));
        assertRejected("labels", sink -> sink.histogram("chronik_h", "h", bounds, "a").sample(new long[3], 0));
        assertRejected("gauge on _count", sink -> {
            sink.histogram("chronik_h", "h", bounds);
            sink.family("chronik_h_count", "h", Type.GAUGE);
        });
        assertRejected("histogram on a counter's name", sink -> {
            sink.family("chronik_h", "h", Type.COUNTER);
            sink.histogram("chronik_h", "h", bounds);
        });
        assertRejected("other buckets", sink -> {
            sink.histogram("chronik_h", "h", bounds);
            sink.histogram("chronik_h", "h", new double[] {0.2, 1});
        });
        // the same histogram written twice continues it; the caller's array is copied
        double[] reused = {0.1, 1};
        List<MetricFamilySamples> continued = collect(sink -> {
            sink.histogram("chronik_h", "h", reused, "a").sample(new long[3], 0, "x");
            reused[0] = 0.5;
            sink.histogram("chronik_h", "h", new double[] {0.1, 1}, "a").sample(new long[3], 0, "y");
        });
        assertEquals(1, continued.size());
        assertEquals(10, continued.get(0).samples.size());
        assertEquals("0.1", continued.get(0).samples.get(0).labelValues.get(1));
    }

    @Test
    public void invalidMetricNamesAreRejected() {
        for (String name : new String[] {null, "", "1abc", "a-b", "a b", "a.b", "é", "_total"}) {
            Type type = "_total".equals(name) ? Type.COUNTER : Type.GAUGE;
            assertRejected(name, sink -> sink.family(name, "h", type));
        }
        assertRejected("no type", sink -> sink.family("chronik_x", "h", null));
        // valid ones
        collect(sink -> {
            sink.family("a", "h", Type.GAUGE);
            sink.family("_b", "h", Type.GAUGE);
            sink.family("c:d_e9", "h", Type.GAUGE);
            sink.family(":f", "h", Type.COUNTER);
        });
    }

    @Test
    public void invalidLabelNamesAreRejected() {
        for (String label : new String[] {null, "", "1a", "a-b", "a:b", "__reserved", "a b"}) {
            assertRejected(label, sink -> sink.family("chronik_x", "h", Type.GAUGE, "ok", label));
        }
        assertRejected("duplicate label", sink -> sink.family("chronik_x", "h", Type.GAUGE, "a", "a"));
        collect(sink -> sink.family("chronik_x", "h", Type.GAUGE, "_a", "b_9", "C").sample(1, "1", "2", "3"));
    }

    @Test
    public void labelValuesMustMatchTheLabelNames() {
        assertRejected("too few", sink -> sink.family("chronik_x", "h", Type.GAUGE, "a", "b").sample(1, "1"));
        assertRejected("too many", sink -> sink.family("chronik_x", "h", Type.GAUGE, "a").sample(1, "1", "2"));
        assertRejected("none for one", sink -> sink.family("chronik_x", "h", Type.GAUGE, "a").sample(1));
        assertRejected("one for none", sink -> sink.family("chronik_x", "h", Type.GAUGE).sample(1, "1"));
        assertRejected("null value", sink -> sink.family("chronik_x", "h", Type.GAUGE, "a").sample(1, (String) null));
        collect(sink -> sink.family("chronik_x", "h", Type.GAUGE).sample(1, (String[]) null));
        collect(sink -> sink.family("chronik_y", "h", Type.GAUGE, "a").sample(1, ""));
    }

    @Test
    public void clashingFamiliesOfOneSource() {
        assertRejected("counter x vs gauge x_total", sink -> {
            sink.family("chronik_x", "h", Type.COUNTER);
            sink.family("chronik_x_total", "h", Type.GAUGE);
        });
        assertRejected("gauge x_created vs counter x", sink -> {
            sink.family("chronik_x_created", "h", Type.GAUGE);
            sink.family("chronik_x", "h", Type.COUNTER);
        });
        assertRejected("same name, other type", sink -> {
            sink.family("chronik_x", "h", Type.GAUGE);
            sink.family("chronik_x", "h", Type.COUNTER);
        });
        assertRejected("same name, other labels", sink -> {
            sink.family("chronik_x", "h", Type.GAUGE, "a");
            sink.family("chronik_x", "h", Type.GAUGE, "b");
        });
        List<MetricFamilySamples> continued = collect(sink -> {
            sink.family("chronik_x", "h", Type.GAUGE, "a").sample(1, "1");
            sink.family("chronik_y", "h", Type.GAUGE).sample(0);
            sink.family("chronik_x", "h", Type.GAUGE, "a").sample(2, "2");
        });
        assertEquals(2, continued.size());
        assertEquals(2, continued.get(0).samples.size());
    }

    @Test
    public void familiesAlreadyWrittenInTheScrapeAreRejected() {
        Scrape scrape = new Scrape(List.of("jvm_threads_current"));
        MetricSourceCollector first = new MetricSourceCollector(sink -> {
            sink.family("chronik_a", "h", Type.COUNTER).sample(1);
        }, "first");
        AtomicReference<RuntimeException> seen = new AtomicReference<>();
        MetricSourceCollector second = new MetricSourceCollector(sink -> {
            sink.family("chronik_b", "h", Type.GAUGE).sample(1);
            for (String name : new String[] {"chronik_a", "chronik_a_total", "chronik_a_created", "jvm_threads_current"}) {
                try {
                    sink.family(name, "h", Type.GAUGE);
                    fail(name);
                } catch (IllegalArgumentException e) {
                    seen.set(e);
                }
            }
            throw seen.get();
        }, "second");
        assertEquals(1, first.collect(scrape).size());
        assertEquals(List.of(), second.collect(scrape));
        assertTrue(seen.get().getMessage(), seen.get().getMessage().contains("already written by another source"));
        // what a failed source wrote is not claimed: a third source may write chronik_b
        MetricSourceCollector third = new MetricSourceCollector(
                sink -> sink.family("chronik_b", "h", Type.GAUGE).sample(3), "third");
        assertEquals(3.0, third.collect(scrape).get(0).samples.get(0).value, 0);
        // a new scrape starts afresh
        assertEquals(1, first.collect(new Scrape()).size());
    }

    @Test
    public void theSinkIsUsableOnlyDuringCollect() {
        AtomicReference<MetricSink> kept = new AtomicReference<>();
        AtomicReference<MetricSink.Family> family = new AtomicReference<>();
        collect(sink -> {
            kept.set(sink);
            family.set(sink.family("chronik_x", "h", Type.GAUGE));
        });
        try {
            kept.get().family("chronik_y", "h", Type.GAUGE);
            fail();
        } catch (IllegalStateException expected) {
            // ok
        }
        try {
            family.get().sample(1);
            fail();
        } catch (IllegalStateException expected) {
            // ok
        }
    }

    @Test
    public void aThrowingSourceYieldsNothing() {
        MetricSourceCollector c = new MetricSourceCollector(sink -> {
            sink.family("chronik_x", "h", Type.GAUGE).sample(1);
            throw new IllegalStateException("boom");
        }, "throwing");
        assertEquals(List.of(), c.collect());
        assertEquals(List.of(), c.collect()); // logged again, briefly
        assertEquals(List.of(), c.describe());
    }

    private static List<MetricFamilySamples> collect(Consumer<MetricSink> source) {
        List<RuntimeException> failures = new ArrayList<>();
        List<MetricFamilySamples> result = new MetricSourceCollector(sink -> {
            try {
                source.accept(sink);
            } catch (RuntimeException e) {
                failures.add(e);
                throw e;
            }
        }, "test").collect();
        if (!failures.isEmpty()) {
            throw new AssertionError("source failed", failures.get(0));
        }
        return result;
    }

    private static void assertRejected(String what, Consumer<MetricSink> source) {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        List<MetricFamilySamples> result = new MetricSourceCollector(sink -> {
            try {
                source.accept(sink);
            } catch (RuntimeException e) {
                thrown.set(e);
                throw e;
            }
        }, "test").collect();
        assertTrue(what + ": " + thrown.get(), thrown.get() instanceof IllegalArgumentException);
        assertEquals(what, List.of(), result);
    }
}
