/**
 * Recorders that a bundle updates on its hot paths and writes into an {@link io.chronik.api.metrics.MetricSink} from
 * its {@link io.chronik.api.metrics.MetricSource}. Embedded privately into each bundle that uses it (bnd
 * {@code -conditionalpackage: io.chronik.metrics.recorder}); deliberately not exported and not annotated with
 * {@code @Export}, which would make the embedding bundles export it.
 */
package io.chronik.metrics.recorder;
