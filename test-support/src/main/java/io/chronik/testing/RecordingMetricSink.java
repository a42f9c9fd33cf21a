package io.chronik.testing;

import java.util.LinkedHashMap;
import java.util.Map;

import io.chronik.api.metrics.MetricSink;
import io.chronik.api.metrics.MetricSource;

/**
 * A {@link MetricSink} for tests of {@link MetricSource}s: records every sample under its exposition name and labels,
 * roughly as the Prometheus text format writes them: {@code name_total{a="x",b="y"}} for counters ({@code name_total}
 * without labels), {@code name{...}} for gauges, and {@code name_bucket{...,le="0.5"}} (cumulative), {@code name_count{...}} and {@code name_sum{...}}
 * for histograms (the {@code le} values as {@link Double#toString}, the last {@code +Inf}). Checks no names: the
 * metrics bundle's own tests do that. Not thread-safe.
 */
public final class RecordingMetricSink implements MetricSink {
    private final Map<String, Double> samples = new LinkedHashMap<>();

    /** Collects {@code source} once. */
    public static Map<String, Double> collect(MetricSource source) {
        RecordingMetricSink sink = new RecordingMetricSink();
        source.collect(sink);
        return sink.samples();
    }

    /** What was written, in order. */
    public Map<String, Double> samples() {
        return samples;
    }

    @Override
    public Family family(String name, String help, Type type, String... labelNames) {
        String sampleName = type == Type.COUNTER ? name + "_total" : name;
        return new Family() {
            @Override
            public Family sample(double value, String... labelValues) {
                samples.put(sampleName + labels(labelNames, labelValues, null), value);
                return this;
            }
        };
    }

    @Override
    public Histogram histogram(String name, String help, double[] upperBounds, String... labelNames) {
        double[] bounds = upperBounds.clone();
        return new Histogram() {
            @Override
            public Histogram sample(long[] bucketCounts, double sum, String... labelValues) {
                long cumulative = 0;
                for (int i = 0; i < bucketCounts.length; i++) {
                    cumulative += bucketCounts[i];
                    String le = i < bounds.length ? Double.toString(bounds[i]) : "+Inf";
                    samples.put(name + "_bucket" + labels(labelNames, labelValues, le), (double) cumulative);
                }
                samples.put(name + "_count" + labels(labelNames, labelValues, null), (double) cumulative);
                samples.put(name + "_sum" + labels(labelNames, labelValues, null), sum);
                return this;
            }
        };
    }

    private static String labels(String[] names, String[] values, String le) {
        if (names.length == 0 && le == null) {
            return "";
        }
        StringBuilder b = new StringBuilder("{");
        for (int i = 0; i < names.length; i++) {
            b.append(i == 0 ? "" : ",").append(names[i]).append("=\"").append(values[i]).append('"');
        }
        if (le != null) {
            b.append(names.length == 0 ? "" : ",").append("le=\"").append(le).append('"');
        }
        return b.append('}').toString();
    }
}
