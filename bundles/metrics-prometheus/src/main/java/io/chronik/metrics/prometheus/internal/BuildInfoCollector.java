package io.chronik.metrics.prometheus.internal;

import java.util.List;

import io.prometheus.client.Collector;
import io.prometheus.client.GaugeMetricFamily;

/** {@code chronik_build_info{version="..."} 1}. */
final class BuildInfoCollector extends Collector implements Collector.Describable {
    static final String NAME = "chronik_build_info";

    private final String version;

    BuildInfoCollector(String version) {
        this.version = version;
    }

    @Override
    public List<MetricFamilySamples> collect() {
        return List.of(new GaugeMetricFamily(NAME, "Chronik build information: the version of the running node",
                List.of("version")).addMetric(List.of(version), 1));
    }

    @Override
    public List<MetricFamilySamples> describe() {
        return collect();
    }
}
