/**
 * Metrics SPI: bundles publish {@link io.chronik.api.metrics.MetricSource} services; the metrics bundle exposes them. A source disappears with the bundle that registered it.
 */
@Export
@Version("1.0.0")
package io.chronik.api.metrics;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
