/**
 * Metrics SPI: bundles publish {@link io.chronik.api.metrics.MetricSource} services; the metrics bundle exposes them.
 * A source disappears with the bundle that registered it. Since 1.1 a source may also write histograms
 * ({@link io.chronik.api.metrics.MetricSink#histogram}).
 */
@Export
@Version("1.1.0")
package io.chronik.api.metrics;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
