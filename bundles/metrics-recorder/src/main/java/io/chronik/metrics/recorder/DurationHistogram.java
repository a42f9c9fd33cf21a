package io.chronik.metrics.recorder;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import io.chronik.api.metrics.MetricSink;

/**
 * A histogram of durations with fixed buckets: one {@link LongAdder} per bucket and one for the sum, so recording is
 * a binary search and two adds, without locks or allocation, from any number of threads. Written into a
 * {@link MetricSink#histogram} family in seconds (Prometheus' base unit).
 *
 * <p>Thread-safe. A {@linkplain #writeTo snapshot} taken while others record is not atomic: the exposed count is
 * always that of the buckets read, the sum may include a few observations more or fewer.
 *
 * <pre>{@code
 * DurationHistogram wait = DurationHistogram.latency();
 * long start = System.nanoTime();
 * ... wait.recordSince(start);
 * // in MetricSource.collect:
 * wait.writeTo(sink.histogram("chronik_x_wait_seconds", "help", wait.upperBoundsSeconds(), "node_id"), nodeId);
 * }</pre>
 */
public final class DurationHistogram {
    /** Upper bounds in seconds for latencies from half a millisecond to seconds: 0.5 ms, 1 ms, 2.5 ms ... 5 s. */
    private static final double[] LATENCY_SECONDS = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
        1, 2.5, 5};

    private final double[] upperBoundsSeconds;
    private final long[] upperBoundsNanos;
    /** One per upper bound, then the one above the highest bound. */
    private final LongAdder[] buckets;
    private final LongAdder sumNanos = new LongAdder();

    /**
     * @param upperBoundsSeconds the buckets' inclusive upper bounds in seconds: positive, finite, strictly
     *                           increasing (distinct in nanoseconds); else {@link IllegalArgumentException}
     */
    public DurationHistogram(double... upperBoundsSeconds) {
        this.upperBoundsSeconds = upperBoundsSeconds.clone();
        this.upperBoundsNanos = new long[upperBoundsSeconds.length];
        for (int i = 0; i < upperBoundsSeconds.length; i++) {
            double b = upperBoundsSeconds[i];
            if (!(b > 0) || !Double.isFinite(b)) {
                throw new IllegalArgumentException("upper bound " + b + " s is not positive and finite");
            }
            upperBoundsNanos[i] = Math.round(b * 1e9);
            if (i > 0 && upperBoundsNanos[i] <= upperBoundsNanos[i - 1]) {
                throw new IllegalArgumentException("upper bounds must increase strictly: "
                        + Arrays.toString(upperBoundsSeconds));
            }
        }
        this.buckets = new LongAdder[upperBoundsSeconds.length + 1];
        for (int i = 0; i < buckets.length; i++) {
            buckets[i] = new LongAdder();
        }
    }

    /** A histogram with buckets for latencies from 0.5 ms to 5 s (0.5, 1, 2.5, 5, 10, 25 ... ms, 1, 2.5, 5 s). */
    public static DurationHistogram latency() {
        return new DurationHistogram(LATENCY_SECONDS);
    }

    /** Records one duration; a negative one (a clock that went back) counts as zero. */
    public void record(long nanos) {
        long n = Math.max(0, nanos);
        int i = Arrays.binarySearch(upperBoundsNanos, n);
        buckets[i >= 0 ? i : -i - 1].increment();
        sumNanos.add(n);
    }

    /** Records one duration, given in {@code unit}. */
    public void record(long duration, TimeUnit unit) {
        record(unit.toNanos(duration));
    }

    /** Records the time since {@code startNanos}, a {@link System#nanoTime()} reading. */
    public void recordSince(long startNanos) {
        record(System.nanoTime() - startNanos);
    }

    /** The buckets' upper bounds in seconds (a copy). */
    public double[] upperBoundsSeconds() {
        return upperBoundsSeconds.clone();
    }

    /** Observations per bucket (not cumulative): one per upper bound, then the count above the highest. */
    public long[] bucketCounts() {
        long[] counts = new long[buckets.length];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = buckets[i].sum();
        }
        return counts;
    }

    /** The number of observations. */
    public long count() {
        long n = 0;
        for (LongAdder b : buckets) {
            n += b.sum();
        }
        return n;
    }

    /** The sum of the observations in seconds. */
    public double sumSeconds() {
        return sumNanos.sum() / 1e9;
    }

    /**
     * Writes the current counts and sum as one sample of {@code family}, which must have been started with
     * {@link #upperBoundsSeconds()} as its bounds. Call it from {@link io.chronik.api.metrics.MetricSource#collect}.
     *
     * @throws IllegalArgumentException as {@link MetricSink.Histogram#sample} does
     */
    public void writeTo(MetricSink.Histogram family, String... labelValues) {
        family.sample(bucketCounts(), sumSeconds(), labelValues);
    }
}
