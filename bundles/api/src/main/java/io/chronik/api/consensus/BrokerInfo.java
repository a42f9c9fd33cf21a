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

    /**
     * Whether the broker is fenced: its session with the metadata group expired and it has not come back and caught
     * up since. A fenced broker is left out of Metadata's broker list and of every in-sync replica set.
     *
     * @since 1.3
     */
    default boolean fenced() {
        return false;
    }
}
