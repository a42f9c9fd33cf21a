package io.chronik.api.consensus;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.osgi.annotation.versioning.ProviderType;

/** A topic as recorded in cluster metadata. Immutable snapshot. */
@ProviderType
public interface TopicInfo {
    String name();

    /** The topic id Kafka clients see (Metadata v10+, Fetch v13+). */
    UUID id();

    /** The partitions, indexed by partition number. */
    List<PartitionInfo> partitions();

    /** The topic-level config overrides (not the broker defaults). */
    Map<String, String> configs();
}
