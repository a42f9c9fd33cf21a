package io.chronik.raft.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.consensus.ConsensusException;
import io.chronik.api.consensus.PartitionLog;
import io.chronik.api.consensus.PartitionLogs;
import io.chronik.log.LogConfig;
import io.chronik.log.SegmentLog;

/**
 * The partition replicas hosted on this node, as the {@link PartitionLogs} service: opened when the metadata places
 * a partition here (or, on start, from a data group's partitions file), deleted with their topic, closed with the
 * node. Thread-safe; {@link #log} and {@link #appendAll} never block.
 */
final class LocalReplicas implements PartitionLogs {
    private static final Logger LOG = LoggerFactory.getLogger(LocalReplicas.class);

    private final NodeSettings settings;
    /** By {@link PartitionReplica#key}; opening and removing synchronize on the map. */
    private final Map<String, PartitionReplica> replicas = new ConcurrentHashMap<>();
    /** Replicas that moves are filling ({@link PartitionReplica#isStaging}), by key; guarded like {@link #replicas}. */
    private final Map<String, PartitionReplica> staging = new ConcurrentHashMap<>();

    LocalReplicas(NodeSettings settings) {
        this.settings = settings;
    }

    @Override
    public Optional<PartitionLog> log(String topic, int partition) {
        PartitionReplica r = replicas.get(PartitionReplica.key(topic, partition));
        return r == null || r.isClosed() ? Optional.empty() : Optional.of(r);
    }

    /**
     * Queues every append in its group's appender before any group sends, so that the partitions of one produce
     * request that share a data group travel in one Raft entry (one log write, one apply) instead of one each.
     */
    @Override
    public List<CompletionStage<PartitionLog.AppendResult>> appendAll(List<PartitionLog> logs, List<ByteBuffer> batches) {
        if (logs.size() != batches.size()) {
            throw new IllegalArgumentException(logs.size() + " logs but " + batches.size() + " batches");
        }
        List<CompletionStage<PartitionLog.AppendResult>> results = new ArrayList<>(logs.size());
        Map<GroupAppender, List<Integer>> byGroup = new LinkedHashMap<>();
        for (int i = 0; i < logs.size(); i++) {
            results.add(null);
            if (logs.get(i) instanceof PartitionReplica r) {
                byGroup.computeIfAbsent(r.group().appender(), a -> new ArrayList<>()).add(i);
            } else {
                try {
                    results.set(i, logs.get(i).append(batches.get(i)));
                } catch (RuntimeException e) {
                    results.set(i, CompletableFuture.failedFuture(e));
                }
            }
        }
        byGroup.forEach((appender, indexes) -> appender.enqueueTogether(() -> {
            for (int i : indexes) {
                results.set(i, ((PartitionReplica) logs.get(i)).enqueueAppend(batches.get(i)));
            }
        }));
        return results;
    }

    /** The replica of a partition, open or closed, or null. */
    PartitionReplica replica(String topic, int partition) {
        return replicas.get(PartitionReplica.key(topic, partition));
    }

    /**
     * Opens (or returns) the replica of a partition in {@code group} (blocking: opening a log recovers it from disk).
     *
     * @param configs the topic's configs; null when opened from a group's partitions file (the defaults apply until
     *                the metadata catches up); otherwise the caller rewrites the group's partitions file afterwards
     *                ({@link DataGroup#persistMembersIfChanged})
     */
    PartitionReplica open(UUID topicId, String topic, int partition, DataGroup group, Map<String, String> configs)
            throws IOException {
        String key = PartitionReplica.key(topic, partition);
        synchronized (replicas) {
            PartitionReplica r = replicas.get(key);
            if (r != null) {
                if (r.topicId().equals(topicId) && r.group() == group && group.replica(topic, partition) == null) {
                    group.add(r);
                }
                return r;
            }
            Path dir = movedInDir(key, group);
            if (!java.nio.file.Files.isDirectory(dir)) {
                dir = settings.logsDir().resolve(key);
            }
            LogConfig config;
            try {
                config = configs == null ? LogConfig.defaultConfig() : LogConfig.of(configs);
            } catch (ConsensusException e) {
                throw new IOException("invalid config of " + key + ": " + e.getMessage(), e);
            }
            SegmentLog log = SegmentLog.open(dir, config);
            r = new PartitionReplica(topic, partition, topicId, group, log, dir);
            replicas.put(key, r);
            group.add(r);
            if (configs != null) {
                group.membersChanged(); // the reconciliation rewrites the partitions file once it has opened them all
            }
            LOG.info("opened {} in data group {} (log end {}, checkpoint at index {})", key, group.groupNo(),
                    log.logEndOffset(), r.checkpointIndex);
            return r;
        }
    }

    /**
     * The directory of a replica that a move put into {@code group}: {@code <key>.g<group number>}, beside the
     * directory {@code <key>} of the replica placed at creation, which may still be on this node while the move runs.
     */
    private Path movedInDir(String key, DataGroup group) {
        return settings.logsDir().resolve(key + ".g" + group.groupNo());
    }

    /**
     * Opens (or returns) the replica a move fills in {@code group}, its target group (blocking). It is not served
     * ({@link #log} does not return it) until {@link #promote}d.
     *
     * @param configs the topic's configs; null when opened from a group's partitions file
     * @param moveId  the id of the move, noted in the replica; -1 when opened from a group's partitions file
     */
    PartitionReplica openStaging(UUID topicId, String topic, int partition, DataGroup group, Map<String, String> configs,
            long moveId) throws IOException {
        String key = PartitionReplica.key(topic, partition);
        synchronized (replicas) {
            PartitionReplica r = staging.get(key);
            if (r != null && r.group() == group && r.topicId().equals(topicId)) {
                if (moveId >= 0) {
                    r.markMoveId(moveId);
                }
                return r;
            }
            if (r != null) {
                delete(r);
            }
            Path dir = movedInDir(key, group);
            LogConfig config;
            try {
                config = configs == null ? LogConfig.defaultConfig() : LogConfig.of(configs);
            } catch (ConsensusException e) {
                throw new IOException("invalid config of " + key + ": " + e.getMessage(), e);
            }
            r = new PartitionReplica(topic, partition, topicId, group, SegmentLog.open(dir, config), dir, true);
            if (moveId >= 0) {
                r.markMoveId(moveId);
            }
            staging.put(key, r);
            group.add(r);
            group.persistMembers();
            LOG.info("opened {} in data group {} to receive it (move)", key, group.groupNo());
            return r;
        }
    }

    /**
     * Replaces this node's replica of a partition in {@code group} with a snapshot's copy (a snapshot installed from
     * the group's leader, or fetched from the object store): closes the group's current replica of the partition, if
     * any, links the snapshot's files ({@code files}, the partition's directory in the snapshot) into the replica's
     * directory, emptied first, and opens the log there, cut back to the snapshot's checkpoint. A replica of the
     * partition in another group of this node (the source of a move the snapshot shows complete) is deleted, as
     * {@link #promote} does. Blocking file I/O; on the group's state machine updater, nothing applied meanwhile.
     *
     * @param configs the topic's configs, or null if this node's metadata does not know the topic yet
     */
    PartitionReplica restore(DataGroup group, SnapshotManifest.Partition p, Path files, Map<String, String> configs)
            throws IOException {
        String key = p.key();
        PartitionReplica r;
        PartitionReplica replaced = null;
        synchronized (replicas) {
            for (Map<String, PartitionReplica> map : List.of(replicas, staging)) {
                PartitionReplica old = map.get(key);
                if (old != null && old.group() == group) {
                    map.remove(key, old);
                    group.remove(old);
                    old.close();
                }
            }
            Path dir = settings.logsDir().resolve(p.dirName());
            DataSnapshotStorage.deleteRecursively(dir);
            java.nio.file.Files.createDirectories(dir);
            for (io.chronik.log.LinkedFile f : p.files()) {
                DataSnapshotStorage.linkOrCopy(files.resolve(f.name()), dir.resolve(f.name()));
            }
            LogConfig config;
            try {
                config = configs == null ? LogConfig.defaultConfig() : LogConfig.of(configs);
            } catch (ConsensusException e) {
                throw new IOException("invalid config of " + key + ": " + e.getMessage(), e);
            }
            r = new PartitionReplica(p.topic(), p.partition(), p.topicId(), group, SegmentLog.open(dir, config), dir,
                    p.staging());
            if (p.staging()) {
                staging.put(key, r);
            } else {
                replaced = replicas.put(key, r);
            }
            group.add(r);
            group.persistMembers();
            if (replaced != null) {
                replaced.group().remove(replaced);
                replaced.group().persistMembers();
            }
        }
        if (replaced != null) {
            replaced.delete();
        }
        LOG.info("restored {} in data group {} from a snapshot at index {}: offsets {} to {}", key, group.groupNo(),
                r.checkpointIndex, r.segmentLog().logStartOffset(), r.segmentLog().logEndOffset());
        return r;
    }

    /** Every replica this node serves (not those moves are filling). */
    List<PartitionReplica> all() {
        return List.copyOf(replicas.values());
    }

    /** The replica a move is filling for a partition, or null. */
    PartitionReplica staging(String topic, int partition) {
        return staging.get(PartitionReplica.key(topic, partition));
    }

    /** Every replica moves are filling. */
    List<PartitionReplica> allStaging() {
        return List.copyOf(staging.values());
    }

    /**
     * A move is done: {@code r}, filled in its target group, becomes the partition's replica on this node, and the
     * replica it replaces (in the source group), if any, is deleted.
     */
    void promote(PartitionReplica r, long index) {
        PartitionReplica old;
        synchronized (replicas) {
            if (!staging.remove(r.key(), r)) {
                return;
            }
            old = replicas.put(r.key(), r);
            try {
                r.promote(index);
            } catch (IOException e) {
                LOG.error("noting the move of {} in {} failed", r.key(), r.directory(), e);
            }
            r.group().persistMembers();
            if (old != null && old != r) {
                old.group().remove(old);
                old.group().persistMembers();
            }
        }
        if (old != null && old != r) {
            old.delete();
        }
        LOG.info("{} moved to data group {}{}", r.key(), r.group().groupNo(),
                old == null ? "" : " from data group " + old.group().groupNo());
    }

    /** Removes a replica from this node and its group and deletes its files (its topic was deleted or it moved). */
    void delete(PartitionReplica r) {
        synchronized (replicas) {
            staging.remove(r.key(), r);
            replicas.remove(r.key(), r);
            r.group().remove(r);
            r.group().persistMembers();
        }
        r.delete();
        LOG.info("deleted the replica of {} (topic id {})", r.key(), r.topicId());
    }

    /** Applies each log's retention now (the node's periodic task; tests). */
    void applyRetention() {
        long now = System.currentTimeMillis();
        for (PartitionReplica r : replicas.values()) {
            try {
                r.applyRetention(now);
            } catch (RuntimeException e) {
                LOG.warn("retention of {} failed", r.key(), e);
            }
        }
    }

    /** Closes every replica (the node stops); waiting readers are woken. */
    void closeAll() {
        for (PartitionReplica r : replicas.values()) {
            r.close();
        }
        for (PartitionReplica r : staging.values()) {
            r.close();
        }
    }
}
