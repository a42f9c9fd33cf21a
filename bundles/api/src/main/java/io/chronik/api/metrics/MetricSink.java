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
}
