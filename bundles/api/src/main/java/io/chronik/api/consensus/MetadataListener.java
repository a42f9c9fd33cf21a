package io.chronik.api.consensus;

import org.osgi.annotation.versioning.ConsumerType;

/** Told about applied metadata changes. Called on a provider thread in commit order; must not block. */
@ConsumerType
public interface MetadataListener {

    /** Topics, partitions, leaders or brokers changed; read {@link ClusterMetadata} for the new state. */
    void metadataChanged(ClusterMetadata metadata);
}
