package io.chronik.metrics.prometheus.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.metrics.MetricSink;
import io.chronik.api.metrics.MetricSource;
import io.prometheus.client.Collector;

/**
 * Adapts a {@link MetricSource} service to a simpleclient {@link Collector}: every collect calls the source with
 * a fresh {@link MetricSink} and turns what it wrote into metric families. COUNTER families are exposed the way
 * simpleclient exposes counters (samples named {@code <name>_total}; a {@code _total} suffix on the family name
 * is dropped), GAUGE families as gauges, histograms as simpleclient histograms ({@link HistogramWriter}).
 *
 * <p>The sink enforces the {@link MetricSink} contract with {@link IllegalArgumentException}: metric names
 * {@code [a-zA-Z_:][a-zA-Z0-9_:]*}, label names as Prometheus (and simpleclient) accept them
 * ({@code [a-zA-Z_][a-zA-Z0-9_]*}, not starting with {@code __}, no duplicates), one label value per label name,
 * and no family whose names were already written in the same scrape by another source (or by the endpoint's own
 * collectors). Writing the same family twice from one source with the same type and label names continues it.
 *
 * <p>If the source throws (including the {@link IllegalArgumentException} of a rejected family), everything it
 * wrote in that scrape is dropped and logged; other sources are not affected.
 *
 * <p>{@link #describe()} returns no names: a source's families may change from scrape to scrape, so the
 * collector is never skipped by a registry's name filter; the samples are filtered after collection.
 */
public final class MetricSourceCollector extends Collector implements Collector.Describable {
    private static final Logger LOG = LoggerFactory.getLogger(MetricSourceCollector.class);

    private static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

    private final MetricSource source;
    private final String description;
    private final AtomicBoolean failedBefore = new AtomicBoolean();

    /**
     * @param source      the source
     * @param description names the source in log messages, for example its bundle and service id
     */
    public MetricSourceCollector(MetricSource source, String description) {
        this.source = source;
        this.description = description;
    }

    public MetricSource source() {
        return source;
    }

    @Override
    public List<MetricFamilySamples> collect() {
        return collect(new Scrape());
    }

    @Override
    public List<MetricFamilySamples> describe() {
        return Collections.emptyList();
    }

    /**
     * Collects the source within {@code scrape}: rejects families already written in it and, if the source
     * completes, records this source's names in it.
     *
     * @return the source's families, or an empty list if it failed
     */
    List<MetricFamilySamples> collect(Scrape scrape) {
        Sink sink = new Sink(scrape);
        try {
            source.collect(sink);
        } catch (Exception | LinkageError e) {
            // a LinkageError comes from a source whose bundle is being stopped or updated
            if (failedBefore.compareAndSet(false, true)) {
                LOG.warn("metric source {} failed; its metrics are left out of this scrape", description, e);
            } else {
                LOG.warn("metric source {} failed again; its metrics are left out of this scrape: {}", description,
                        e.toString());
            }
            return Collections.emptyList();
        } finally {
            sink.closed = true;
        }
        return sink.commit();
    }

    @Override
    public String toString() {
        return "MetricSourceCollector[" + description + "]";
    }

    /** The sink handed to one {@link MetricSource#collect} call. */
    static final class Sink implements MetricSink {
        private final Scrape scrape;
        private final Map<String, Writer> families = new LinkedHashMap<>();
        private final Set<String> names = new HashSet<>();
        private boolean closed;

        Sink(Scrape scrape) {
            this.scrape = scrape;
        }

        @Override
        public Family family(String name, String help, Type type, String... labelNames) {
            checkOpen();
            if (name == null || !METRIC_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("invalid metric name " + quote(name)
                        + ": must match [a-zA-Z_:][a-zA-Z0-9_:]*");
            }
            if (type == null) {
                throw new IllegalArgumentException("metric family '" + name + "' has no type");
            }
            String base = name;
            if (type == Type.COUNTER && name.endsWith("_total")) {
                base = name.substring(0, name.length() - "_total".length()); // as simpleclient does
                if (!METRIC_NAME.matcher(base).matches()) {
                    throw new IllegalArgumentException("invalid counter name '" + name
                            + "': without its _total suffix it is not a valid metric name");
                }
            }
            List<String> labels = labelNames(base, labelNames);

            Writer existing = families.get(base);
            if (existing != null) {
                if (existing instanceof FamilyWriter f && f.type == type && f.labelNames.equals(labels)) {
                    return f;
                }
                throw new IllegalArgumentException("metric family '" + base
                        + "' was already written by this source with a different type or label names");
            }
            List<String> exposed = type == Type.COUNTER
                    ? List.of(base, base + "_total", base + "_created")
                    : List.of(base);
            FamilyWriter family = new FamilyWriter(this, base, help == null ? "" : help, type, labels);
            claim(base, exposed, family);
            return family;
        }

        @Override
        public Histogram histogram(String name, String help, double[] upperBounds, String... labelNames) {
            checkOpen();
            if (name == null || !METRIC_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("invalid metric name " + quote(name)
                        + ": must match [a-zA-Z_:][a-zA-Z0-9_:]*");
            }
            List<String> labels = labelNames(name, labelNames);
            if (labels.contains("le")) {
                throw new IllegalArgumentException("histogram '" + name + "': the label name 'le' is reserved for "
                        + "the buckets");
            }
            double[] bounds = HistogramWriter.checkedBounds(name, upperBounds);
            Writer existing = families.get(name);
            if (existing != null) {
                if (existing instanceof HistogramWriter h && h.labelNames.equals(labels)
                        && Arrays.equals(h.upperBounds, bounds)) {
                    return h;
                }
                throw new IllegalArgumentException("metric family '" + name
                        + "' was already written by this source with a different type, label names or buckets");
            }
            HistogramWriter histogram = new HistogramWriter(this, name, help == null ? "" : help, bounds, labels);
            claim(name, List.of(name, name + "_bucket", name + "_count", name + "_sum", name + "_created"), histogram);
            return histogram;
        }

        /** Adds {@code family} with its exposition names, unless one of them is taken in this source or scrape. */
        private void claim(String base, List<String> exposed, Writer family) {
            for (String n : exposed) {
                if (names.contains(n)) {
                    throw new IllegalArgumentException("metric family '" + base + "' clashes with another family of "
                            + "this source on the name '" + n + "'");
                }
                if (scrape.isWritten(n)) {
                    throw new IllegalArgumentException("metric family '" + base + "': the name '" + n
                            + "' was already written by another source in this scrape");
                }
            }
            families.put(base, family);
            names.addAll(exposed);
        }

        private static List<String> labelNames(String family, String[] labelNames) {
            if (labelNames == null || labelNames.length == 0) {
                return List.of();
            }
            Set<String> seen = new HashSet<>();
            for (String label : labelNames) {
                if (label == null || !LABEL_NAME.matcher(label).matches()) {
                    throw new IllegalArgumentException("metric family '" + family + "': invalid label name "
                            + quote(label) + ": must match [a-zA-Z_][a-zA-Z0-9_]*");
                }
                if (label.startsWith("__")) {
                    throw new IllegalArgumentException("metric family '" + family + "': label name '" + label
                            + "' is reserved (starts with __)");
                }
                if (!seen.add(label)) {
                    throw new IllegalArgumentException("metric family '" + family + "': label name '" + label
                            + "' appears twice");
                }
            }
            return List.of(labelNames);
        }

        void checkOpen() {
            if (closed) {
                throw new IllegalStateException("a MetricSink is valid only during the collect call it was given to");
            }
        }

        List<MetricFamilySamples> commit() {
            scrape.addAll(names);
            List<MetricFamilySamples> result = new ArrayList<>(families.size());
            for (Writer f : families.values()) {
                result.add(f.samples());
            }
            return result;
        }

        static String quote(String s) {
            return s == null ? "null" : "'" + s + "'";
        }
    }

    /** The label values of a sample, checked against the family's label names. */
    static String[] labelValues(String family, List<String> labelNames, String[] labelValues) {
        String[] values = labelValues == null ? new String[0] : labelValues;
        if (values.length != labelNames.size()) {
            throw new IllegalArgumentException("metric family '" + family + "' has " + labelNames.size()
                    + " label names " + labelNames + " but the sample has " + values.length + " label values "
                    + Arrays.toString(values));
        }
        for (int i = 0; i < values.length; i++) {
            if (values[i] == null) {
                throw new IllegalArgumentException("metric family '" + family + "': the value of label '"
                        + labelNames.get(i) + "' is null");
            }
        }
        return values;
    }

    /** A family being written by a source. */
    interface Writer {
        /** What was written, as simpleclient exposes it. */
        MetricFamilySamples samples();
    }

    private static final class FamilyWriter implements MetricSink.Family, Writer {
        private final Sink sink;
        final String name;
        final String help;
        final MetricSink.Type type;
        final List<String> labelNames;
        final String sampleName;
        final List<MetricFamilySamples.Sample> samples = new ArrayList<>();

        FamilyWriter(Sink sink, String name, String help, MetricSink.Type type, List<String> labelNames) {
            this.sink = sink;
            this.name = name;
            this.help = help;
            this.type = type;
            this.labelNames = labelNames;
            this.sampleName = type == MetricSink.Type.COUNTER ? name + "_total" : name;
        }

        @Override
        public MetricSink.Family sample(double value, String... labelValues) {
            sink.checkOpen();
            String[] values = labelValues(name, labelNames, labelValues);
            samples.add(new MetricFamilySamples.Sample(sampleName, labelNames, List.of(values), value));
            return this;
        }

        @Override
        public MetricFamilySamples samples() {
            return new MetricFamilySamples(name, type == MetricSink.Type.COUNTER ? Collector.Type.COUNTER
                    : Collector.Type.GAUGE, help, samples);
        }
    }
}
