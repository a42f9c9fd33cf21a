package io.chronik.protocol.kafka.internal;

import java.io.IOException;
import java.util.Dictionary;
import java.util.Hashtable;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.consensus.ClusterMetadata;
import io.chronik.api.consensus.PartitionLogs;
import io.chronik.api.metrics.MetricSource;

/**
 * The Kafka listener as a DS component: binds on activation, closes on deactivation. The consensus services are
 * mandatory dynamic greedy references, so a replacement provider is picked up in place; a request that arrives in
 * the instant no provider is bound is answered with a retriable error. Once listening it registers the protocol's
 * metrics as a {@link MetricSource} (service property {@code node.id}), unregistered before the listener closes.
 */
@Component(name = "io.chronik.protocol.kafka", configurationPid = "io.chronik.protocol.kafka",
        configurationPolicy = ConfigurationPolicy.REQUIRE, service = {}, immediate = true)
@Designate(ocd = KafkaProtocolConfig.class)
public class KafkaProtocolComponent {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaProtocolComponent.class);

    @Reference(policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile ClusterMetadata metadata;

    @Reference(policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile PartitionLogs logs;

    private final KafkaServer server;
    private final ServiceRegistration<MetricSource> metricsRegistration;

    @Activate
    public KafkaProtocolComponent(BundleContext context, KafkaProtocolConfig config) throws IOException {
        ServerSettings settings = ServerSettings.from(config);
        server = new KafkaServer(settings, () -> metadata, () -> logs);
        server.start();
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("node.id", settings.nodeId());
        metricsRegistration = context.registerService(MetricSource.class, server.metrics(), props);
        LOG.info("Kafka protocol started for node {} on {}", settings.nodeId(), settings.addr());
    }

    @Deactivate
    void deactivate() {
        try {
            metricsRegistration.unregister();
        } catch (IllegalStateException e) {
            // already gone with the bundle
        }
        server.close();
    }
}
