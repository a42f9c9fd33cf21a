package io.chronik.protocol.kafka.internal.group;

import java.nio.ByteBuffer;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.Record;
import org.apache.kafka.common.record.RecordBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.consensus.ConsensusException;
import io.chronik.api.consensus.PartitionLog;
import io.chronik.protocol.kafka.internal.codec.KafkaErrors;
import io.chronik.protocol.kafka.internal.group.GroupRecords.Key;

/**
 * The groups of one {@code __consumer_offsets} partition, kept by this node while it leads that partition (at one
 * leader epoch): rebuilt by replaying the partition when it is loaded, changed by appending records to it (a group's
 * record, offset commits, and the tombstones that delete them).
 *
 * <p>The shard also keeps what a replay of its log would produce ({@link #logState}, every live key with its latest
 * value, including appends not yet committed). When the log holds many superseded records it rewrites the live ones
 * at its end and deletes everything before them, which keeps the partition (and the next load) about as small as
 * the state: the compaction Kafka does with {@code cleanup.policy=compact}, done by the only writer instead.
 *
 * <p>Appends are made under one lock, so the log's order is the order of the calls; their stages complete in log
 * order (the consensus provider applies entries in order).
 */
final class CoordinatorShard {
    private static final Logger LOG = LoggerFactory.getLogger(CoordinatorShard.class);
    private static final int READ_BYTES = 1 << 20;
    private static final int REWRITE_BATCH_RECORDS = 2000;

    final int partition;
    final PartitionLog log;
    final int epoch;
    /** The groups of this shard, by id. Each group is guarded by its own monitor. */
    final Map<String, ClassicGroup> groups = new ConcurrentHashMap<>();

    private final int rewriteThreshold;
    private final Object appendLock = new Object();
    private final Map<Key, byte[]> logState = new HashMap<>(); // guarded by appendLock
    private long superseded; // records in the log that a replay overrides; guarded by appendLock
    private boolean rewriting; // guarded by appendLock
    private volatile boolean closed;

    CoordinatorShard(int partition, PartitionLog log, int epoch, int rewriteThreshold) {
        this.partition = partition;
        this.log = log;
        this.epoch = epoch;
        this.rewriteThreshold = rewriteThreshold;
    }

    boolean isClosed() {
        return closed;
    }

    void close() {
        closed = true;
    }

    /** Whether this shard still matches the node's leadership of its partition. */
    boolean current() {
        return !closed && log.isLeader() && log.leaderEpoch() == epoch;
    }

    /** The group {@code groupId} of this shard, or null. */
    ClassicGroup group(String groupId) {
        return groups.get(groupId);
    }

    /** The group {@code groupId} of this shard, created (Empty) if it does not exist. */
    ClassicGroup getOrCreateGroup(String groupId) {
        return groups.computeIfAbsent(groupId, id -> new ClassicGroup(id, this));
    }

    /** Appends the group's record {@code record}; completes as {@link #append} does. */
    CompletableFuture<Void> storeGroup(ClassicGroup g, GroupRecords.GroupValue record) {
        return append(List.of(new AbstractMap.SimpleImmutableEntry<>(new GroupRecords.GroupKey(g.groupId),
                GroupRecords.groupValue(record))));
    }

    /**
     * Deletes the group: appends tombstones for it and all its offsets, marks it Dead and forgets it. Called holding
     * the group's monitor; completes as {@link #append} does.
     */
    CompletableFuture<Void> deleteGroup(ClassicGroup g, String why) {
        List<Map.Entry<Key, byte[]>> tombstones = new ArrayList<>();
        for (TopicPartition tp : g.offsets.keySet()) {
            tombstones.add(GroupRecords.offsetTombstone(g.groupId, tp));
        }
        tombstones.add(new AbstractMap.SimpleImmutableEntry<>(new GroupRecords.GroupKey(g.groupId), null));
        g.markDead();
        groups.remove(g.groupId, g);
        LOG.info("group {} {} ({} committed offsets)", g.groupId, why, g.offsets.size());
        return append(tombstones);
    }

    /** Forgets a group that never had a generation, members or offsets (see {@link ClassicGroup#isUnused}). */
    void removeIfUnused(ClassicGroup g) {
        if (g.isUnused()) {
            g.markDead();
            groups.remove(g.groupId, g);
        }
    }

    /** Kafka's mapping of a failed {@link #append} to the group errors (of an offset commit if {@code offsets}). */
    static Errors appendError(Throwable failure, boolean offsets) {
        Throwable t = KafkaErrors.unwrap(failure);
        if (t instanceof ConsensusException ce) {
            switch (ce.reason()) {
                case NOT_LEADER:
                    return Errors.NOT_COORDINATOR;
                case RECORD_TOO_LARGE:
                case CORRUPT_RECORD:
                    return offsets ? Errors.INVALID_COMMIT_OFFSET_SIZE : Errors.UNKNOWN_SERVER_ERROR;
                default:
                    return Errors.COORDINATOR_NOT_AVAILABLE;
            }
        }
        return Errors.COORDINATOR_NOT_AVAILABLE;
    }

    /**
     * Replays the partition on {@code executor} once this node has applied everything committed before its leadership
     * began, and rebuilds its {@link #groups} from the live records. Completes (on {@code executor}) when they are
     * built; no request reaches them before the caller publishes the shard.
     */
    CompletableFuture<Void> load(Executor executor) {
        return log.readBarrier().toCompletableFuture().thenAcceptAsync(v -> buildGroups(replay()), executor);
    }

    /** The live records of the partition (key → latest value), in log order. */
    private Map<Key, byte[]> replay() {
        long offset = log.logStartOffset();
        long end = log.highWatermark();
        long records = 0;
        Map<Key, byte[]> state = new LinkedHashMap<>();
        while (offset < end && !closed) {
            ByteBuffer chunk;
            try {
                chunk = log.read(offset, READ_BYTES);
            } catch (ConsensusException e) {
                throw new CompletionException(e);
            }
            if (!chunk.hasRemaining()) {
                break;
            }
            for (RecordBatch batch : MemoryRecords.readableRecords(chunk).batches()) {
                if (batch.lastOffset() < offset) {
                    continue;
                }
                if (!batch.isControlBatch()) {
                    for (Record r : batch) {
                        if (r.offset() >= offset && r.hasKey()) {
                            records++;
                            apply(state, r);
                        }
                    }
                }
                offset = batch.nextOffset();
            }
        }
        synchronized (appendLock) {
            logState.clear();
            logState.putAll(state);
            superseded = records - state.size();
        }
        LOG.debug("replayed __consumer_offsets-{} at leader epoch {}: {} records, {} live", partition, epoch, records, state.size());
        return state;
    }

    /** Rebuilds the groups from the live records: each group's record, and the offsets it has committed. */
    private void buildGroups(Map<Key, byte[]> state) {
        Set<String> withRecord = new HashSet<>();
        for (Map.Entry<Key, byte[]> e : state.entrySet()) {
            Key key = e.getKey();
            ClassicGroup g = getOrCreateGroup(key.group());
            synchronized (g) {
                try {
                    if (key instanceof GroupRecords.OffsetKey k) {
                        GroupRecords.OffsetValue v = GroupRecords.readOffsetValue(ByteBuffer.wrap(e.getValue()));
                        g.offsets.put(new TopicPartition(k.topic(), k.partition()),
                                new ClassicGroup.Committed(v.offset(), v.leaderEpoch(), v.metadata(), v.commitTimestamp()));
                    } else {
                        g.restore(GroupRecords.readGroupValue(ByteBuffer.wrap(e.getValue())));
                        withRecord.add(g.groupId);
                    }
                } catch (RuntimeException ex) {
                    LOG.warn("skipping unreadable value of {} in __consumer_offsets-{}: {}", key, partition, ex.toString());
                }
            }
        }
        for (ClassicGroup g : groups.values()) {
            synchronized (g) {
                if (!withRecord.contains(g.groupId)) {
                    // offsets committed from outside any generation: the group has been empty since the last commit
                    g.restoreStateTimestampFromOffsets();
                }
            }
        }
    }

    private void apply(Map<Key, byte[]> state, Record r) {
        Key key;
        try {
            key = GroupRecords.readKey(r.key());
        } catch (RuntimeException e) {
            LOG.warn("skipping unreadable record at offset {} of __consumer_offsets-{}: {}", r.offset(), partition, e.toString());
            return;
        }
        state.remove(key); // keep log order: a rewritten key moves to the end
        if (r.hasValue()) {
            byte[] value = new byte[r.valueSize()];
            r.value().get(value);
            state.put(key, value);
        }
    }

    /**
     * Appends {@code records} (key → value; a null value deletes the key) as one batch. Completes when committed, or
     * exceptionally with the provider's {@link ConsensusException} (after which this shard is closed: the state in
     * memory may be ahead of the log, so the node must reload it).
     */
    CompletableFuture<Void> append(List<Map.Entry<Key, byte[]>> records) {
        if (closed) {
            return CompletableFuture.failedFuture(new ConsensusException(ConsensusException.Reason.NOT_LEADER,
                    "__consumer_offsets-" + partition + " is no longer coordinated here"));
        }
        CompletionStage<PartitionLog.AppendResult> stage;
        synchronized (appendLock) {
            stage = appendLocked(records);
        }
        return stage.toCompletableFuture().handle((r, failure) -> {
            if (failure != null) {
                closed = true;
                throw failure instanceof CompletionException c ? c : new CompletionException(failure);
            }
            maybeRewrite();
            return null;
        });
    }

    private CompletionStage<PartitionLog.AppendResult> appendLocked(List<Map.Entry<Key, byte[]>> records) {
        CompletionStage<PartitionLog.AppendResult> stage = log.append(GroupRecords.batch(records, System.currentTimeMillis()));
        for (Map.Entry<Key, byte[]> r : records) {
            byte[] old = r.getValue() == null ? logState.remove(r.getKey()) : logState.put(r.getKey(), r.getValue());
            if (old != null || r.getValue() == null) {
                superseded++;
            }
        }
        return stage;
    }

    /**
     * Rewrites the live records and deletes the log before them once superseded records outnumber both the threshold
     * and the live ones.
     */
    private void maybeRewrite() {
        List<CompletableFuture<PartitionLog.AppendResult>> stages = new ArrayList<>();
        int live;
        long end;
        synchronized (appendLock) {
            if (rewriting || closed || superseded < rewriteThreshold || superseded < logState.size()) {
                return;
            }
            rewriting = true;
            live = logState.size();
            List<Map.Entry<Key, byte[]>> chunk = new ArrayList<>();
            for (Map.Entry<Key, byte[]> e : logState.entrySet()) {
                chunk.add(new AbstractMap.SimpleImmutableEntry<>(e.getKey(), e.getValue()));
                if (chunk.size() == REWRITE_BATCH_RECORDS) {
                    stages.add(log.append(GroupRecords.batch(chunk, System.currentTimeMillis())).toCompletableFuture());
                    chunk = new ArrayList<>();
                }
            }
            if (!chunk.isEmpty()) {
                stages.add(log.append(GroupRecords.batch(chunk, System.currentTimeMillis())).toCompletableFuture());
            }
            superseded = 0;
            end = log.highWatermark(); // read under the lock: later appends land beyond it
        }
        CompletableFuture<Long> rewriteStart;
        if (stages.isEmpty()) {
            // nothing is live: everything committed so far is superseded
            rewriteStart = CompletableFuture.completedFuture(end);
        } else {
            rewriteStart = CompletableFuture.allOf(stages.toArray(new CompletableFuture<?>[0]))
                    .thenApply(v -> stages.get(0).join().baseOffset());
        }
        rewriteStart.thenCompose(start -> log.deleteRecordsBefore(start).toCompletableFuture()).whenComplete((start, failure) -> {
            synchronized (appendLock) {
                rewriting = false;
            }
            if (failure != null) {
                LOG.warn("compacting __consumer_offsets-{} failed: {}", partition, failure.toString());
            } else {
                LOG.debug("compacted __consumer_offsets-{}: {} live records rewritten, log starts at {}", partition, live, start);
            }
        });
    }
}
