package io.chronik.api.consensus;

import org.osgi.annotation.versioning.ProviderType;

/** A broker of the cluster as advertised to Kafka clients. Immutable. */
@ProviderType
public interface BrokerInfo {
    int nodeId();

    /** The advertised host ({@code --advertised-addr}). */
    String host();

    /** The advertised Kafka port. */
    int port();

    /** The broker's rack, or {@code null}. */
    String rack();
}
