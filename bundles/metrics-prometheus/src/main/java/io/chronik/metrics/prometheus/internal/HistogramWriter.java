package io.chronik.metrics.prometheus.internal;

import java.util.ArrayList;
import java.util.List;

import io.chronik.api.metrics.MetricSink;
import io.prometheus.client.Collector;
import io.prometheus.client.Collector.MetricFamilySamples;
import io.prometheus.client.Collector.MetricFamilySamples.Sample;

/**
 * A histogram family written by a source during one collect: turns the per-bucket counts a source hands over into
 * simpleclient's histogram samples, as simpleclient's own {@code Histogram} exposes them: cumulative
 * {@code <name>_bucket} samples with an {@code le} label (the bound in Go's float format, the last one
 * {@code +Inf}), then {@code <name>_count} (equal to the {@code +Inf} bucket) and {@code <name>_sum}. Used by the
 * collect call's thread only.
 */
final class HistogramWriter implements MetricSink.Histogram, MetricSourceCollector.Writer {
    private final MetricSourceCollector.Sink sink;
    final String name;
    private final String help;
    final double[] upperBounds;
    final List<String> labelNames;
    private final List<String> bucketLabelNames;
    private final String[] le;
    private final List<Sample> samples = new ArrayList<>();

    HistogramWriter(MetricSourceCollector.Sink sink, String name, String help, double[] upperBounds,
            List<String> labelNames) {
        this.sink = sink;
        this.name = name;
        this.help = help;
        this.upperBounds = upperBounds;
        this.labelNames = labelNames;
        List<String> withLe = new ArrayList<>(labelNames);
        withLe.add("le");
        this.bucketLabelNames = List.copyOf(withLe);
        this.le = new String[upperBounds.length + 1];
        for (int i = 0; i < upperBounds.length; i++) {
            le[i] = Collector.doubleToGoString(upperBounds[i]);
        }
        le[upperBounds.length] = "+Inf";
    }

    /** A copy of {@code upperBounds} if they are finite and strictly increasing, else IllegalArgumentException. */
    static double[] checkedBounds(String name, double[] upperBounds) {
        if (upperBounds == null) {
            throw new IllegalArgumentException("histogram '" + name + "' has no upper bounds array");
        }
        double[] bounds = upperBounds.clone();
        for (int i = 0; i < bounds.length; i++) {
            if (!Double.isFinite(bounds[i])) {
                throw new IllegalArgumentException("histogram '" + name + "': upper bound " + bounds[i]
                        + " is not finite (+Inf is implied)");
            }
            if (i > 0 && bounds[i] <= bounds[i - 1]) {
                throw new IllegalArgumentException("histogram '" + name + "': upper bounds must increase strictly, "
                        + "but " + bounds[i] + " follows " + bounds[i - 1]);
            }
        }
        return bounds;
    }

    @Override
    public MetricSink.Histogram sample(long[] bucketCounts, double sum, String... labelValues) {
        sink.checkOpen();
        String[] values = MetricSourceCollector.labelValues(name, labelNames, labelValues);
        if (bucketCounts == null || bucketCounts.length != upperBounds.length + 1) {
            throw new IllegalArgumentException("histogram '" + name + "' has " + upperBounds.length
                    + " upper bounds, so a sample needs " + (upperBounds.length + 1) + " bucket counts, not "
                    + (bucketCounts == null ? "null" : bucketCounts.length));
        }
        List<Sample> added = new ArrayList<>(bucketCounts.length + 2);
        long cumulative = 0;
        for (int i = 0; i < bucketCounts.length; i++) {
            if (bucketCounts[i] < 0) {
                throw new IllegalArgumentException("histogram '" + name + "': bucket count " + bucketCounts[i]
                        + " is negative");
            }
            cumulative += bucketCounts[i];
            List<String> bucketLabels = new ArrayList<>(values.length + 1);
            bucketLabels.addAll(List.of(values));
            bucketLabels.add(le[i]);
            added.add(new Sample(name + "_bucket", bucketLabelNames, bucketLabels, cumulative));
        }
        added.add(new Sample(name + "_count", labelNames, List.of(values), cumulative));
        added.add(new Sample(name + "_sum", labelNames, List.of(values), sum));
        samples.addAll(added);
        return this;
    }

    @Override
    public MetricFamilySamples samples() {
        return new MetricFamilySamples(name, Collector.Type.HISTOGRAM, help, samples);
    }
}
