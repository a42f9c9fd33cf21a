package io.chronik.api.consensus;

import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The replicated partition logs hosted on this node. The Kafka protocol bundle finds a partition's log here
 * and never sees the consensus implementation.
 *
 * <p>Non-blocking and thread-safe. A log exists on this node once the metadata entry that placed a replica
 * here has been applied; it is gone once its topic's deletion has been applied.
 */
@ProviderType
public interface PartitionLogs {

    /** The local replica of {@code topic}/{@code partition}, if this node hosts one. */
    Optional<PartitionLog> log(String topic, int partition);
}
