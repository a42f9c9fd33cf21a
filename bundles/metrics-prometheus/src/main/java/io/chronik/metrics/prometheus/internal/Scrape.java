package io.chronik.metrics.prometheus.internal;

import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;

import io.prometheus.client.Collector.MetricFamilySamples;

/**
 * One scrape: the exposition names (family names and their sample names, such as {@code x}, {@code x_total} and
 * {@code x_created} of a counter) already written. Used by one thread at a time.
 */
final class Scrape {
    private final Set<String> written = new HashSet<>();

    Scrape() {
    }

    Scrape(Collection<String> reserved) {
        written.addAll(reserved);
    }

    boolean isWritten(String name) {
        return written.contains(name);
    }

    void addAll(Collection<String> names) {
        written.addAll(names);
    }

    /** Records the names of {@code family}; {@code false} if one of them was written before. */
    boolean claim(MetricFamilySamples family) {
        String[] names = family.getNames();
        for (String name : names) {
            if (written.contains(name)) {
                return false;
            }
        }
        written.addAll(Arrays.asList(names));
        return true;
    }
}
