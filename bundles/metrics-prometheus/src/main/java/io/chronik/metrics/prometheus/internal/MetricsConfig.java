package io.chronik.metrics.prometheus.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration of the {@code /metrics} endpoint (PID {@code io.chronik.metrics.prometheus}, optional). */
@ObjectClassDefinition(name = "Chronik Prometheus metrics",
        description = "HTTP endpoint serving /metrics in the Prometheus text exposition format")
public @interface MetricsConfig {

    @AttributeDefinition(name = "Listen address",
            description = "host:port to listen on ([v6]:port for IPv6; port 0 picks a free port)")
    String address() default "0.0.0.0:9101";
}
