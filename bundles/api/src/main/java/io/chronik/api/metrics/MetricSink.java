package io.chronik.api.metrics;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Receives metric families and their samples during one {@link MetricSource#collect} call. Valid only for the
 * duration of that call; not thread-safe.
 *
 * <p>Names follow the Prometheus conventions ({@code chronik_<subsystem>_<name>}, base units, counters
 * without the {@code _total} suffix: the exposition adds it). Metric and label names must match
 * {@code [a-zA-Z_:][a-zA-Z0-9_:]*}; an invalid name, a label count that differs from the family's label names,
 * or a family name already written by another source in the same scrape throws
 * {@link IllegalArgumentException}.
 *
 * <p>Besides counters and gauges a source may write {@linkplain #histogram histograms} (since 1.1): a source keeps
 * the count of observations per fixed bucket and their sum, and hands a snapshot of them to the sink on each
 * scrape; the exposition turns it into a Prometheus histogram.
 *
 * <p>Only the metrics bundle implements this interface; it gains methods in minor versions, so a source (or a test
 * double, which must be a class, not a lambda) must not implement it.
 */
@ProviderType
public interface MetricSink {

    /** The kind of a metric family. */
    enum Type {
        /** A monotonically increasing count (exposed with the {@code _total} suffix). */
        COUNTER,
        /** A value that can go up and down. */
        GAUGE
    }

    /**
     * Starts a metric family.
     *
     * @param name       family name, for example {@code chronik_produce_requests}
     * @param help       one line describing the metric
     * @param type       counter or gauge
     * @param labelNames the names of the labels every sample of the family carries, possibly none
     * @return the family, to which samples are added
     */
    Family family(String name, String help, Type type, String... labelNames);

    /**
     * Starts a histogram family (since 1.1), exposed as a Prometheus histogram: one cumulative
     * {@code <name>_bucket} sample per upper bound plus one with {@code le="+Inf"}, a {@code <name>_sum} and a
     * {@code <name>_count} per label set. Name it in base units, for example
     * {@code chronik_raft_read_index_duration_seconds}.
     *
     * <p>Besides the rules of {@link #family}: the upper bounds must be finite and strictly increasing (the
     * {@code +Inf} bucket is implied; no bounds at all leave only that one), and no label may be named {@code le}
     * (the exposition uses it); otherwise {@link IllegalArgumentException}. The array is copied: the caller may
     * reuse it.
     *
     * @param name        family name, without a suffix ({@code _bucket}, {@code _sum} and {@code _count} are added)
     * @param help        one line describing the metric
     * @param upperBounds the buckets' inclusive upper bounds (Prometheus' {@code le}), in the unit the name says
     * @param labelNames  the names of the labels every sample of the family carries, possibly none
     * @return the family, to which samples are added
     */
    Histogram histogram(String name, String help, double[] upperBounds, String... labelNames);

    /** One metric family being written. */
    @ProviderType
    interface Family {
        /**
         * Adds a sample.
         *
         * @param value       the sample's value
         * @param labelValues one value per label name of the family, in the same order
         * @return this family, for chaining
         */
        Family sample(double value, String... labelValues);
    }

    /** One histogram family being written (since 1.1). */
    @ProviderType
    interface Histogram {
        /**
         * Adds the histogram of one label set.
         *
         * <p>The counts are per bucket, not cumulative (the exposition accumulates them), so a source can keep one
         * counter per bucket and copy them without arithmetic; the count of observations is their sum. A snapshot
         * of concurrently updated counters need not be atomic: the exposed count is always that of the buckets,
         * only the sum may be a few observations off. The array is read during the call only.
         *
         * @param bucketCounts observations per bucket: one count per upper bound of the family (the observations
         *                     above the previous bound and at most this one), then the count above the highest
         *                     bound; {@code upperBounds.length + 1} counts, none negative, else
         *                     {@link IllegalArgumentException}
         * @param sum          the sum of all observed values, in the unit of the bounds
         * @param labelValues  one value per label name of the family, in the same order
         * @return this family, for chaining
         */
        Histogram sample(long[] bucketCounts, double sum, String... labelValues);
    }
}
