package io.chronik.metrics.recorder;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.Test;

import io.chronik.api.metrics.MetricSink;

public class DurationHistogramTest {

    @Test
    public void durationsLandInTheFirstBucketWhoseBoundIsNotBelowThem() {
        DurationHistogram h = new DurationHistogram(0.001, 0.01);
        h.record(0);
        h.record(1_000_000); // exactly 1 ms: le is inclusive
        h.record(1_000_001);
        h.record(10, TimeUnit.MILLISECONDS);
        h.record(11, TimeUnit.MILLISECONDS);
        h.record(-5); // a clock that went back counts as zero
        assertArrayEquals(new long[] {3, 2, 1}, h.bucketCounts());
        assertEquals(6, h.count());
        assertEquals((1_000_000 + 1_000_001 + 10_000_000 + 11_000_000) / 1e9, h.sumSeconds(), 1e-12);
    }

    @Test
    public void theLatencyBucketsSpanHalfAMillisecondToFiveSeconds() {
        DurationHistogram h = DurationHistogram.latency();
        double[] bounds = h.upperBoundsSeconds();
        assertEquals(0.0005, bounds[0], 0);
        assertEquals(5, bounds[bounds.length - 1], 0);
        h.record(400, TimeUnit.MICROSECONDS);
        h.record(3, TimeUnit.SECONDS);
        h.record(6, TimeUnit.SECONDS);
        long[] counts = h.bucketCounts();
        assertEquals(bounds.length + 1, counts.length);
        assertEquals(1, counts[0]);
        assertEquals(1, counts[bounds.length - 1]);
        assertEquals(1, counts[bounds.length]);
        bounds[0] = 99; // a copy
        assertEquals(0.0005, h.upperBoundsSeconds()[0], 0);
    }

    @Test
    public void invalidBoundsAreRejected() {
        for (double[] bounds : new double[][] {{0}, {-1}, {Double.NaN}, {Double.POSITIVE_INFINITY}, {1, 1}, {2, 1},
            {1e-10, 2e-10}}) {
            try {
                new DurationHistogram(bounds);
                fail(java.util.Arrays.toString(bounds));
            } catch (IllegalArgumentException expected) {
                // ok
            }
        }
    }

    @Test
    public void concurrentRecordsAreAllCounted() throws InterruptedException {
        DurationHistogram h = DurationHistogram.latency();
        int threads = 4;
        int each = 50_000;
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> started = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            long nanos = TimeUnit.MILLISECONDS.toNanos(t * 3L);
            Thread thread = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < each; i++) {
                    h.record(nanos);
                }
            });
            thread.start();
            started.add(thread);
        }
        go.countDown();
        for (Thread t : started) {
            t.join();
        }
        assertEquals(threads * each, h.count());
        assertEquals(each * (0 + 3 + 6 + 9) / 1000.0, h.sumSeconds(), 1e-6);
    }

    @Test
    public void writesItsCountsAndSumInSecondsIntoAHistogramFamily() {
        DurationHistogram h = new DurationHistogram(0.5);
        h.record(250, TimeUnit.MILLISECONDS);
        h.record(2, TimeUnit.SECONDS);
        List<Object> written = new ArrayList<>();
        MetricSink.Histogram family = new MetricSink.Histogram() {
            @Override
            public MetricSink.Histogram sample(long[] bucketCounts, double sum, String... labelValues) {
                written.add(bucketCounts);
                written.add(sum);
                written.add(List.of(labelValues));
                return this;
            }
        };
        h.writeTo(family, "3");
        assertArrayEquals(new long[] {1, 1}, (long[]) written.get(0));
        assertEquals(2.25, (double) written.get(1), 1e-12);
        assertEquals(List.of("3"), written.get(2));
    }
}
