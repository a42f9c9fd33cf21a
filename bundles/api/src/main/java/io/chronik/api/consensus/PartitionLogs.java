package io.chronik.api.consensus;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

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

    /**
     * Appends record batches to several logs at once, as one Kafka produce request does: the same as
     * {@link PartitionLog#append} on each, except that a provider may replicate the appends to partitions that share
     * a consensus group together, in one entry instead of one per partition.
     *
     * @param logs    logs obtained from {@link #log}, each at most once
     * @param batches the batches for each log, in the same order
     * @return the outcome of each append, in the order of {@code logs}
     */
    default List<CompletionStage<PartitionLog.AppendResult>> appendAll(List<PartitionLog> logs, List<ByteBuffer> batches) {
        if (logs.size() != batches.size()) {
            throw new IllegalArgumentException(logs.size() + " logs but " + batches.size() + " batches");
        }
        List<CompletionStage<PartitionLog.AppendResult>> results = new ArrayList<>(logs.size());
        for (int i = 0; i < logs.size(); i++) {
            try {
                results.add(logs.get(i).append(batches.get(i)));
            } catch (RuntimeException e) {
                results.add(CompletableFuture.failedFuture(e));
            }
        }
        return results;
    }
}
