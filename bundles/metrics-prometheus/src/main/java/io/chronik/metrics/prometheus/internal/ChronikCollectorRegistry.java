package io.chronik.metrics.prometheus.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.prometheus.client.Collector;
import io.prometheus.client.Collector.MetricFamilySamples;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Predicate;
import io.prometheus.client.SampleNameFilter;

/**
 * The endpoint's own registry (never {@link CollectorRegistry#defaultRegistry}). On top of
 * {@link CollectorRegistry} it makes every scrape one {@link Scrape}: collectors are called in a fixed order
 * (the endpoint's own collectors in registration order, then {@link MetricSourceCollector}s in registration
 * order), a source cannot write a family whose names were already written in the scrape, and a collector that
 * throws is left out of that scrape only. A scrape is collected completely before it is returned.
 */
final class ChronikCollectorRegistry extends CollectorRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(ChronikCollectorRegistry.class);

    private final Object lock = new Object();
    private final List<Collector> builtins = new CopyOnWriteArrayList<>();
    private final List<MetricSourceCollector> sources = new CopyOnWriteArrayList<>();
    /** The names each built-in collector exposed when it was registered; sources can never take them. */
    private final Map<Collector, List<String>> builtinNames = new IdentityHashMap<>();
    private volatile Set<String> reserved = Set.of();

    ChronikCollectorRegistry() {
        super(true); // built-in collectors are described (or collected once) on registration: clashes fail early
    }

    @Override
    public void register(Collector collector) {
        synchronized (lock) {
            if (builtins.contains(collector) || sources.contains(collector)) {
                throw new IllegalArgumentException(collector + " is already registered");
            }
            super.register(collector);
            if (collector instanceof MetricSourceCollector) {
                sources.add((MetricSourceCollector) collector);
            } else {
                List<String> names = new ArrayList<>();
                for (MetricFamilySamples family : collector.collect()) {
                    names.addAll(Arrays.asList(family.getNames()));
                }
                builtinNames.put(collector, names);
                builtins.add(collector);
                updateReserved();
            }
        }
    }

    @Override
    public void unregister(Collector collector) {
        synchronized (lock) {
            boolean removed = collector instanceof MetricSourceCollector
                    ? sources.removeIf(c -> c == collector)
                    : builtins.removeIf(c -> c == collector);
            if (removed) { // CollectorRegistry.unregister fails on collectors it does not know
                super.unregister(collector);
                if (builtinNames.remove(collector) != null) {
                    updateReserved();
                }
            }
        }
    }

    @Override
    public void clear() {
        synchronized (lock) {
            super.clear();
            builtins.clear();
            sources.clear();
            builtinNames.clear();
            updateReserved();
        }
    }

    private void updateReserved() {
        Set<String> names = new HashSet<>();
        builtinNames.values().forEach(names::addAll);
        reserved = Set.copyOf(names);
    }

    @Override
    public Enumeration<MetricFamilySamples> metricFamilySamples() {
        return scrape(null);
    }

    @Override
    public Enumeration<MetricFamilySamples> filteredMetricFamilySamples(Set<String> includedNames) {
        return scrape(new SampleNameFilter.Builder().nameMustBeEqualTo(includedNames).build());
    }

    @Override
    public Enumeration<MetricFamilySamples> filteredMetricFamilySamples(Predicate<String> sampleNameFilter) {
        return scrape(sampleNameFilter);
    }

    /** Collects one scrape; {@code filter} (may be {@code null}) selects samples by name. */
    private Enumeration<MetricFamilySamples> scrape(Predicate<String> filter) {
        Scrape scrape = new Scrape(reserved);
        List<MetricFamilySamples> result = new ArrayList<>();
        for (Collector collector : builtins) {
            List<MetricFamilySamples> families;
            try {
                families = collector.collect(filter);
            } catch (RuntimeException e) {
                LOG.warn("collector {} failed; its metrics are left out of this scrape", collector, e);
                continue;
            }
            for (MetricFamilySamples family : families) {
                scrape.addAll(Arrays.asList(family.getNames()));
                add(result, family, filter);
            }
        }
        for (MetricSourceCollector source : sources) {
            for (MetricFamilySamples family : source.collect(scrape)) {
                add(result, family, filter);
            }
        }
        return Collections.enumeration(result);
    }

    private static void add(List<MetricFamilySamples> result, MetricFamilySamples family, Predicate<String> filter) {
        MetricFamilySamples kept = family.filter(filter);
        if (kept != null) {
            result.add(kept);
        }
    }
}
