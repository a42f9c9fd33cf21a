package io.chronik.raft.internal;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.consensus.ConsensusException;
import io.chronik.api.consensus.ConsensusException.Reason;

/**
 * Runs the partition moves whose source group this node leads: copy, catch-up, fence, switch.
 *
 * <ol>
 * <li><b>Copy.</b> {@code COPY_START} then {@code COPY} entries, submitted to the target group through a Raft client,
 * carry the partition's batches as stored (sealed segments first, then the tail) into the replica each target node
 * opened for the move. Each is a Raft entry of the target group, so every target replica gets the same bytes and the
 * copy is as durable as any write. The leader of the target group answers each with the copy's log end, and the
 * next chunk starts there, so a resent, lost or repeated chunk does no harm.
 * <li><b>Fence.</b> Once the copy is within one chunk of the log end, a {@code FENCE} entry in the source group stops
 * writes to the partition (producers get a retriable NOT_LEADER); everything before it is applied, so the log end is
 * final. The fence is durable and survives a change of source leader, whose new leader resumes the move.
 * <li><b>Switch.</b> The last chunk, then {@code COPY_SEAL} (the log start offset and the new epoch base), then a
 * {@link CompleteReassignment} metadata entry that gives the partition to the target group. Every node then promotes
 * its target replica and deletes its source replica ({@link MetadataReconciler}).
 * </ol>
 * A move cancelled before the switch leaves the partition where it was; {@link #check} lifts its fence.
 *
 * <p>Threads: {@link #check} runs on the node's scheduler every half second; each move runs on its own thread of
 * the mover's pool and blocks on Raft round trips. Thread-safe.
 */
final class PartitionMover {
    private static final Logger LOG = LoggerFactory.getLogger(PartitionMover.class);
    /** Bytes of batches per copy entry. */
    static final int CHUNK_BYTES = 1 << 20;
    /** Records behind the log end at which the copy fences the source and copies the rest. */
    static final long FENCE_LAG_RECORDS = 1000;
    /** Fence after this long even if producers keep the copy further behind (the fence then lasts longer). */
    static final long FORCE_FENCE_AFTER_NANOS = TimeUnit.SECONDS.toNanos(60);
    private static final AtomicLong CALL_IDS = new AtomicLong();

    private final LocalServer server;
    private final Supplier<MetadataState> metadata;
    private final LocalReplicas replicas;
    private final MetadataWriter writer;
    private final PreferredLeaders.GroupClients clients;
    private final ExecutorService movers;
    /** Checks between two looks at every replica's fence while no move is pending. */
    static final int FULL_SCAN_EVERY = 20;
    /** Whether moves were pending at the last {@link #check}; scheduler thread only. */
    private boolean movesLastCheck = true;
    /** Checks since the last look at every replica's fence; scheduler thread only. */
    private int checksSinceScan;
    /** The moves running here, by id. */
    private final Map<Long, Boolean> running = new ConcurrentHashMap<>();
    /** Unfence entries in flight, by the id of the move whose fence they lift. */
    private final Map<Long, Boolean> unfencing = new ConcurrentHashMap<>();

    PartitionMover(LocalServer server, Supplier<MetadataState> metadata, LocalReplicas replicas, MetadataWriter writer,
            PreferredLeaders.GroupClients clients) {
        this.server = server;
        this.metadata = metadata;
        this.replicas = replicas;
        this.writer = writer;
        this.clients = clients;
        AtomicLong n = new AtomicLong();
        this.movers = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "chronik-raft-" + server.settings().nodeId() + "-mover-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Checks every half second for moves to run and fences to lift. */
    void start() {
        server.scheduler().scheduleWithFixedDelay(this::check, 500, 500, TimeUnit.MILLISECONDS);
    }

    void close() {
        movers.shutdownNow();
    }

    /** Starts the moves this node should run and not yet runs; lifts the fences of cancelled moves it leads. */
    void check() {
        if (server.isStopping()) {
            return;
        }
        try {
            MetadataState s = metadata.get();
            for (PartitionMoves.Pending m : s.moves.pending().values()) {
                PartitionReplica r = replicas.replica(m.topic(), m.partition());
                if (isSource(r, m) && r.group().isLeaderReady() && running.putIfAbsent(m.id(), Boolean.TRUE) == null) {
                    try {
                        movers.execute(() -> run(m, r));
                    } catch (RejectedExecutionException e) {
                        running.remove(m.id());
                    }
                }
            }
            // a fence comes from a move: look for stale ones while moves are pending and on the check after the
            // last one ended (a cancel), else every FULL_SCAN_EVERY checks (a fence kept on disk across a restart
            // whose move was cancelled meanwhile), not every half second over every partition of the node
            boolean moves = !s.moves.pending().isEmpty();
            if (moves || movesLastCheck || ++checksSinceScan >= FULL_SCAN_EVERY) {
                checksSinceScan = 0;
                for (PartitionReplica r : replicas.all()) {
                    liftStaleFence(r);
                }
            }
            movesLastCheck = moves;
        } catch (RuntimeException e) {
            LOG.warn("checking partition moves failed", e);
        }
    }

    private static boolean isSource(PartitionReplica r, PartitionMoves.Pending m) {
        return r != null && !r.isStaging() && !r.isClosed() && r.group().groupId().equals(Ids.dataGroup(m.sourceGroup()))
                && r.topicId().equals(m.topicId());
    }

    /** A fence whose move is no longer in progress while the partition is still in this group: the move was cancelled. */
    private void liftStaleFence(PartitionReplica r) {
        long fence = r.fencedBy();
        if (fence < 0 || !r.group().isLeaderReady() || running.containsKey(fence)) {
            return;
        }
        MetadataState s = metadata.get();
        PartitionMoves.Pending m = s.moves.pending(r.topic(), r.partition());
        MetadataState.Topic t = s.topics.get(r.topic());
        boolean stillHere = t != null && t.id().equals(r.topicId()) && r.partition() < t.groups().size()
                && r.group().groupId().equals(Ids.dataGroup(t.groups().get(r.partition())));
        if ((m != null && m.id() == fence) || !stillHere || unfencing.putIfAbsent(fence, Boolean.TRUE) != null) {
            return;
        }
        LOG.info("the move {} of {} was cancelled: writes are accepted again", fence, r.key());
        r.group().appender().submit(DataEntry.UNFENCE, r, ByteString.EMPTY, fence)
                .whenComplete((o, e) -> unfencing.remove(fence));
    }

    private void run(PartitionMoves.Pending m, PartitionReplica r) {
        try {
            move(m, r);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            if (!server.isStopping()) {
                LOG.warn("moving {} to data group {} (move {}) failed, retrying: {}", m.key(), m.targetGroup(), m.id(),
                        e.toString());
            }
        } finally {
            running.remove(m.id());
        }
    }

    private void move(PartitionMoves.Pending m, PartitionReplica r) throws Exception {
        MetadataState s = metadata.get();
        MetadataState.Group targetGroup = s.groups.get(m.targetGroup());
        RaftGroup target = targetGroup == null ? null : PreferredLeaders.raftGroup(s, targetGroup, server.settings());
        if (target == null) {
            throw new ConsensusException(Reason.NOT_AVAILABLE, "data group " + m.targetGroup() + " is not known");
        }
        MetadataState.Leader leader = s.leaders.get(m.targetGroup());
        long timeoutMs = server.settings().requestTimeoutMs();
        long started = System.nanoTime();
        try (RaftClient client = clients.client(target, leader == null ? null : Ids.peerId(leader.nodeId()), timeoutMs)) {
            long end = send(client, m, DataEntry.COPY_START, longs(firstBatchBase(r)));
            LOG.info("moving {} from data group {} to data group {} {} (move {}): copying from offset {}", m.key(),
                    m.sourceGroup(), m.targetGroup(), targetGroup.replicas(), m.id(), end);
            boolean fenced = r.fencedBy() == m.id();
            while (true) {
                if (!stillMoving(m, r)) {
                    return;
                }
                long logEnd = r.highWatermark();
                if (end >= logEnd && fenced) {
                    break;
                }
                if (end < logEnd) {
                    ByteBuffer chunk = r.segmentLog().read(end, CHUNK_BYTES, logEnd);
                    end = send(client, m, DataEntry.COPY, UnsafeByteOperations.unsafeWrap(chunk));
                }
                // caught up to within about a chunk, or copying longer than the producers outpace it: fence
                boolean caughtUp = end >= logEnd || r.highWatermark() - end <= FENCE_LAG_RECORDS;
                if (!fenced && (caughtUp || System.nanoTime() - started > FORCE_FENCE_AFTER_NANOS)) {
                    awaitFence(m, r, timeoutMs);
                    fenced = true;
                }
            }
            int epochBase = r.leaderEpoch() + 1;
            ByteBuffer seal = ByteBuffer.allocate(12).putLong(r.logStartOffset()).putInt(epochBase);
            long sealed = send(client, m, DataEntry.COPY_SEAL, ByteString.copyFrom(seal.array()));
            if (sealed != r.highWatermark()) {
                throw new ConsensusException(Reason.STORAGE, "the copy of " + m.key() + " ends at " + sealed
                        + ", the partition at " + r.highWatermark());
            }
            writer.submit(new CompleteReassignment(m.topic(), m.partition(), m.id(), epochBase), false)
                    .get(timeoutMs, TimeUnit.MILLISECONDS);
            LOG.info("moved {} to data group {} {} (move {}): {} records up to offset {} in {} ms", m.key(),
                    m.targetGroup(), targetGroup.replicas(), m.id(), sealed - r.logStartOffset(), sealed,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        }
    }

    /** Whether the move is still in progress and this node still leads its source group. */
    private boolean stillMoving(PartitionMoves.Pending m, PartitionReplica r) {
        PartitionMoves.Pending now = metadata.get().moves.pending(m.topic(), m.partition());
        return now != null && now.id() == m.id() && !r.isClosed() && r.group().isLeader() && !server.isStopping();
    }

    /** The base offset of the batch holding the log start offset (the first one to copy), or the log end if empty. */
    private static long firstBatchBase(PartitionReplica r) throws ConsensusException {
        long start = r.logStartOffset();
        long end = r.highWatermark();
        if (start >= end) {
            return end;
        }
        ByteBuffer first = r.segmentLog().read(start, 1, end);
        return first.getLong(first.position());
    }

    /** Fences the partition in its source group and waits until the fence is applied here (the log end is final). */
    private static void awaitFence(PartitionMoves.Pending m, PartitionReplica r, long timeoutMs) throws Exception {
        try {
            r.group().appender().submit(DataEntry.FENCE, r, ByteString.EMPTY, m.id()).get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception c ? c : e;
        } catch (TimeoutException e) {
            throw new ConsensusException(Reason.TIMEOUT, "fencing " + m.key() + " took over " + timeoutMs + " ms");
        }
        LOG.info("{} fenced in data group {} at offset {} for move {}", m.key(), m.sourceGroup(), r.highWatermark(),
                m.id());
    }

    /** Submits one move operation to the target group; returns the copy's log end offset it reports. */
    private static long send(RaftClient client, PartitionMoves.Pending m, byte type, ByteString payload) throws Exception {
        DataEntry.Op op = new DataEntry.Op(type, MoveReply.REMOTE_ORIGIN, CALL_IDS.incrementAndGet(), m.topicId(),
                m.topic(), m.partition(), m.id(), payload);
        RaftClientReply reply = client.io().send(Message.valueOf(DataEntry.encode(List.of(op))));
        if (!reply.isSuccess()) {
            throw reply.getException() != null ? reply.getException()
                    : new ConsensusException(Reason.NOT_AVAILABLE, "the target group refused a move operation");
        }
        return MoveReply.decode(reply.getMessage().getContent());
    }

    private static ByteString longs(long value) {
        return ByteString.copyFrom(ByteBuffer.allocate(8).putLong(value).array());
    }
}
