package io.chronik.metrics.prometheus.internal;

import java.io.IOException;
import java.net.InetSocketAddress;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.Version;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.metrics.MetricSource;

/**
 * The {@code /metrics} endpoint as a component. Configuration PID {@code io.chronik.metrics.prometheus},
 * required, so that the endpoint never binds a default address before the node's configuration (which
 * carries {@code --metrics-addr}) has arrived; an omitted {@code address} means {@code 0.0.0.0:9101}. A change of
 * the configuration restarts the
 * component, which re-binds. Activation fails with "cannot listen on &lt;address&gt;: &lt;reason&gt;" if the
 * address cannot be bound. Every {@link MetricSource} service is scraped while it is registered.
 */
@Component(name = PrometheusMetrics.PID, configurationPid = PrometheusMetrics.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE, service = {}, immediate = true)
@Designate(ocd = MetricsConfig.class)
public class PrometheusMetrics {
    static final String PID = "io.chronik.metrics.prometheus";

    private static final Logger LOG = LoggerFactory.getLogger(PrometheusMetrics.class);

    private final MetricsEndpoint endpoint = new MetricsEndpoint();

    @Activate
    public PrometheusMetrics(BundleContext context, MetricsConfig config) throws IOException {
        String version = version(context.getBundle());
        InetSocketAddress bound = endpoint.start(config.address(), version);
        LOG.info("serving Prometheus metrics of Chronik {} on http://{}:{}/metrics", version,
                bound.getAddress().getHostAddress(), bound.getPort());
    }

    @Deactivate
    void deactivate() {
        endpoint.stop();
        LOG.info("Prometheus metrics endpoint stopped");
    }

    @Reference(name = "source", service = MetricSource.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void bindSource(MetricSource source, ServiceReference<MetricSource> reference) {
        endpoint.addSource(reference.getProperty(Constants.SERVICE_ID), source, describe(reference));
    }

    void unbindSource(MetricSource source, ServiceReference<MetricSource> reference) {
        endpoint.removeSource(reference.getProperty(Constants.SERVICE_ID));
    }

    /** For tests. */
    MetricsEndpoint endpoint() {
        return endpoint;
    }

    /**
     * The build version: the bundle's Implementation-Version header (the Maven version, written by the build),
     * else its Bundle-Version with a {@code SNAPSHOT} qualifier shown the Maven way.
     */
    static String version(Bundle bundle) {
        Object implementation = bundle.getHeaders("").get("Implementation-Version");
        if (implementation != null && !implementation.toString().isBlank()) {
            return implementation.toString().trim();
        }
        return version(bundle.getVersion());
    }

    static String version(Version v) {
        String base = v.getMajor() + "." + v.getMinor() + "." + v.getMicro();
        String qualifier = v.getQualifier();
        if (qualifier.isEmpty()) {
            return base;
        }
        return "SNAPSHOT".equals(qualifier) ? base + "-SNAPSHOT" : base + "." + qualifier;
    }

    private static String describe(ServiceReference<?> reference) {
        Bundle bundle = reference.getBundle();
        Object component = reference.getProperty("component.name");
        return (bundle == null ? "?" : bundle.getSymbolicName()) + (component == null ? "" : "/" + component)
                + " (service.id=" + reference.getProperty(Constants.SERVICE_ID) + ")";
    }
}
