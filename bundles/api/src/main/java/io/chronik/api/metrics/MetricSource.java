package io.chronik.api.metrics;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A set of metrics published by a bundle. A bundle contributes metrics by registering a
 * {@code MetricSource} service; the metrics bundle calls {@link #collect} on every scrape. Because the
 * contribution is a service, it disappears when the registering bundle stops (or unregisters it), and so do
 * its metrics — no bundle ever holds another bundle's metric objects.
 *
 * <p><b>Threading.</b> {@link #collect} may be called concurrently from scrape threads; it must be
 * thread-safe, must not block on I/O and should return within milliseconds (read counters, do not compute).
 *
 * <p><b>Errors.</b> A runtime exception thrown by {@code collect} drops that source's metrics from that one
 * scrape and is logged; it never fails the scrape of other sources.
 */
@ConsumerType
public interface MetricSource {

    /** Writes the current value of every metric of this source into {@code sink}. */
    void collect(MetricSink sink);
}
