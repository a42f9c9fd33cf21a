package io.chronik.ratis.internal.metrics;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.ratis.metrics.LongCounter;
import org.apache.ratis.metrics.MetricRegistryInfo;
import org.apache.ratis.metrics.RatisMetricRegistry;
import org.apache.ratis.metrics.Timekeeper;
import org.junit.Test;

public class CountingMetricRegistriesTest {
    private final MetricRegistryInfo info = new MetricRegistryInfo("n1@group-1", "ratis", "log_worker", "test");

    @Test
    public void registriesAreSharedUntilTheirLastUserRemovesThem() {
        CountingMetricRegistries registries = new CountingMetricRegistries();
        List<RatisMetricRegistry> reported = new ArrayList<>();
        List<RatisMetricRegistry> stopped = new ArrayList<>();
        registries.addReporterRegistration(reported::add, stopped::add);

        RatisMetricRegistry first = registries.create(info);
        assertSame(first, registries.create(info));
        assertEquals(List.of(first), reported);
        assertFalse(registries.remove(info)); // still used once
        assertTrue(registries.get(info).isPresent());
        assertTrue(registries.remove(info));
        assertTrue(registries.get(info).isEmpty());
        assertEquals(List.of(first), stopped);
        assertTrue(registries.getMetricRegistryInfos().isEmpty());
    }

    @Test
    public void timersCountersAndGaugesKeepTheirValues() throws Exception {
        CountingMetricRegistry registry = (CountingMetricRegistry) new CountingMetricRegistries().create(info);
        Timekeeper timekeeper = registry.timer("flushTime");
        Timekeeper.Context context = timekeeper.time();
        Thread.sleep(2);
        long elapsed = context.stop();
        assertTrue(elapsed >= 1_000_000);
        CountingMetricRegistry.Timer timer = registry.timer("flushTime");
        assertSame(timekeeper, timer);
        assertEquals(1, timer.count());
        assertEquals(elapsed, timer.totalNanos());

        LongCounter counter = registry.counter("flushCount");
        counter.inc();
        counter.inc(4);
        counter.dec();
        assertEquals(4, registry.counter("flushCount").getCount());

        AtomicInteger pending = new AtomicInteger(7);
        registry.gauge("pending", () -> pending::get);
        pending.set(9);
        assertEquals(9, registry.gaugeValue("pending"));
        assertTrue(registry.remove("pending"));
        assertEquals(null, registry.gaugeValue("pending"));
        try {
            registry.counter("flushTime");
            throw new AssertionError("a timer is not a counter");
        } catch (IllegalArgumentException expected) {
            assertTrue(expected.getMessage().contains("flushTime"));
        }
    }
}
