package io.chronik.ratis.internal.metrics;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import org.apache.ratis.metrics.MetricRegistries;
import org.apache.ratis.metrics.MetricRegistryInfo;
import org.apache.ratis.metrics.RatisMetricRegistry;
import org.apache.ratis.util.TimeDuration;

/**
 * Ratis' metric registries for Chronik, found by Ratis through {@code META-INF/services}: each registry keeps
 * counts, totals and gauges ({@link CountingMetricRegistry}) and nothing else.
 *
 * <p>Ratis' Dropwizard implementation timed every log write, flush, commit and apply into decaying reservoirs (a
 * lock and a skip-list insert per sample) and published them over JMX, which nothing of Chronik reads; that cost
 * a few per cent of the broker's CPU under produce load (docs/PERFORMANCE.md). Chronik reports its own metrics
 * through Prometheus.
 *
 * <p>Registries are reference-counted as Ratis expects: each {@link #create} of an info is matched by a
 * {@link #remove}, and the registry goes when the last user removes it.
 */
public final class CountingMetricRegistries extends MetricRegistries {
    private record Entry(CountingMetricRegistry registry, int references) {
    }

    private final Map<MetricRegistryInfo, Entry> registries = new ConcurrentHashMap<>();
    private final List<Consumer<RatisMetricRegistry>> reporters = new CopyOnWriteArrayList<>();
    private final List<Consumer<RatisMetricRegistry>> stopReporters = new CopyOnWriteArrayList<>();

    /** For {@link java.util.ServiceLoader}. */
    public CountingMetricRegistries() {
    }

    @Override
    public RatisMetricRegistry create(MetricRegistryInfo info) {
        Entry e = registries.compute(info, (k, old) -> old == null
                ? new Entry(new CountingMetricRegistry(k), 1) : new Entry(old.registry(), old.references() + 1));
        if (e.references() == 1) {
            reporters.forEach(r -> r.accept(e.registry()));
        }
        return e.registry();
    }

    @Override
    public boolean remove(MetricRegistryInfo info) {
        Entry[] removed = new Entry[1];
        registries.computeIfPresent(info, (k, old) -> {
            if (old.references() > 1) {
                return new Entry(old.registry(), old.references() - 1);
            }
            removed[0] = old;
            return null;
        });
        if (removed[0] != null) {
            stopReporters.forEach(r -> r.accept(removed[0].registry()));
        }
        return removed[0] != null;
    }

    @Override
    public Optional<RatisMetricRegistry> get(MetricRegistryInfo info) {
        return Optional.ofNullable(registries.get(info)).map(Entry::registry);
    }

    @Override
    public Set<MetricRegistryInfo> getMetricRegistryInfos() {
        return Set.copyOf(registries.keySet());
    }

    @Override
    public Collection<RatisMetricRegistry> getMetricRegistries() {
        return registries.values().stream().map(e -> (RatisMetricRegistry) e.registry()).toList();
    }

    @Override
    public void clear() {
        registries.clear();
    }

    @Override
    public void addReporterRegistration(Consumer<RatisMetricRegistry> reporterRegistration,
            Consumer<RatisMetricRegistry> stopReporter) {
        reporters.add(reporterRegistration);
        stopReporters.add(stopReporter);
        registries.values().forEach(e -> reporterRegistration.accept(e.registry()));
    }

    @Override
    public void removeReporterRegistration(Consumer<RatisMetricRegistry> reporterRegistration,
            Consumer<RatisMetricRegistry> stopReporter) {
        reporters.remove(reporterRegistration);
        stopReporters.remove(stopReporter);
    }

    /** Dropwizard's JMX reporter is not part of Chronik. */
    @Override
    public void enableJmxReporter() {
        throw new UnsupportedOperationException("Chronik does not publish Ratis metrics over JMX");
    }

    /** Dropwizard's console reporter is not part of Chronik. */
    @Override
    public void enableConsoleReporter(TimeDuration consoleReportRate) {
        throw new UnsupportedOperationException("Chronik does not print Ratis metrics to the console");
    }
}
