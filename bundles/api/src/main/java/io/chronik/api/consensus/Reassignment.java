package io.chronik.api.consensus;

import java.util.ArrayList;
import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A partition reassignment in progress ({@link ClusterMetadata#reassignPartition}), in the terms of Kafka's
 * ListPartitionReassignments. Immutable snapshot.
 *
 * @since 1.4
 */
@ProviderType
public interface Reassignment {
    String topic();

    int partition();

    /** The replicas the partition has now (they serve it until the move is done), preferred leader first. */
    List<Integer> currentReplicas();

    /** The target replica list, preferred leader first. */
    List<Integer> targetReplicas();

    /**
     * Every replica taking part: the current replicas followed by the target replicas that are not among them
     * (Kafka reports this union as the partition's replicas while it is reassigned).
     */
    default List<Integer> replicas() {
        List<Integer> all = new ArrayList<>(currentReplicas());
        all.addAll(addingReplicas());
        return List.copyOf(all);
    }

    /** The target replicas that are not current replicas. */
    default List<Integer> addingReplicas() {
        List<Integer> adding = new ArrayList<>(targetReplicas());
        adding.removeAll(currentReplicas());
        return List.copyOf(adding);
    }

    /** The current replicas that are not target replicas. */
    default List<Integer> removingReplicas() {
        List<Integer> removing = new ArrayList<>(currentReplicas());
        removing.removeAll(targetReplicas());
        return List.copyOf(removing);
    }
}
