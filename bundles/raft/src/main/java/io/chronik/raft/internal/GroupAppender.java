package io.chronik.raft.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.exceptions.LeaderNotReadyException;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.protocol.exceptions.StateMachineException;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.consensus.ConsensusException;
import io.chronik.api.consensus.ConsensusException.Reason;

/**
 * Turns concurrent produce requests of one data group into few Raft entries. Requests are queued; at most
 * {@code maxInflight} entries are in flight, and whenever one completes, everything queued meanwhile (up to the
 * entry size limit) goes into the next entry. Under load an entry therefore carries many requests, and one Raft
 * round trip and one log flush serve them all; with no load a request is submitted at once.
 *
 * <p>Entries are submitted to the local Raft server directly (no client RPC). Results are delivered by the state
 * machine when it applies the entry ({@link #complete}); a failed submission fails the requests it carried.
 */
final class GroupAppender {
    private static final Logger LOG = LoggerFactory.getLogger(GroupAppender.class);

    /** A queued request. */
    static final class Pending {
        final long id;
        final byte type;
        final PartitionReplica replica;
        final ByteString payload;
        final long value;
        final CompletableFuture<OpResult> future = new CompletableFuture<>();

        Pending(long id, byte type, PartitionReplica replica, ByteString payload, long value) {
            this.id = id;
            this.type = type;
            this.replica = replica;
            this.payload = payload;
            this.value = value;
        }

        int size() {
            return payload.size() + DataEntry.OP_HEADER_BYTES + replica.topic().length() * 3;
        }
    }

    private static final AtomicLong IDS = new AtomicLong();
    private static final AtomicLong CALL_IDS = new AtomicLong();

    private final DataGroup group;
    private final LocalServer server;
    private final ClientId clientId = ClientId.randomId();
    private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
    private final Map<Long, Pending> submitted = new ConcurrentHashMap<>();
    private final AtomicInteger inflight = new AtomicInteger();
    private final ReentrantLock drainLock = new ReentrantLock();
    private final int maxInflight;
    private final int maxEntryBytes;
    private final long timeoutMs;
    /** Statistics: entries submitted and requests carried. */
    final AtomicLong entries = new AtomicLong();
    final AtomicLong requests = new AtomicLong();

    GroupAppender(DataGroup group, LocalServer server) {
        this.group = group;
        this.server = server;
        NodeSettings settings = server.settings();
        this.maxInflight = settings.maxInflightEntries();
        this.maxEntryBytes = settings.maxEntryBytes();
        this.timeoutMs = settings.requestTimeoutMs();
    }

    /** Queues a request and sends what the in-flight limit allows; the future completes with the outcome. */
    CompletableFuture<OpResult> submit(byte type, PartitionReplica replica, ByteString payload, long value) {
        CompletableFuture<OpResult> f = enqueue(type, replica, payload, value);
        drain();
        return f;
    }

    /**
     * Queues a request without sending anything yet: the caller queues the other partitions of the same produce
     * request and then calls {@link #drain} once, so that they travel in one entry.
     */
    CompletableFuture<OpResult> enqueue(byte type, PartitionReplica replica, ByteString payload, long value) {
        Pending p = new Pending(IDS.incrementAndGet(), type, replica, payload, value);
        if (p.size() > maxEntryBytes) {
            p.future.completeExceptionally(new ConsensusException(Reason.RECORD_TOO_LARGE, "request of " + payload.size()
                    + " bytes exceeds raft.entry.max.bytes (" + maxEntryBytes + ")"));
            return p.future;
        }
        queue.add(p);
        return p.future;
    }

    /**
     * Called by the state machine (apply thread) with the outcome of request {@code id}: a {@link OpResult.Failed}
     * fails its future with the error, any other outcome completes it.
     */
    void complete(long id, OpResult outcome) {
        Pending p = submitted.remove(id);
        if (p == null) {
            return;
        }
        if (outcome instanceof OpResult.Failed failed) {
            p.future.completeExceptionally(failed.error());
        } else {
            p.future.complete(outcome);
        }
    }

    /** Fails everything queued or in flight (the group is closing). */
    void failAll(ConsensusException e) {
        Pending p;
        while ((p = queue.poll()) != null) {
            p.future.completeExceptionally(e);
        }
        for (Long id : List.copyOf(submitted.keySet())) {
            Pending s = submitted.remove(id);
            if (s != null) {
                s.future.completeExceptionally(e);
            }
        }
    }

    /**
     * Runs {@code enqueues} (calls of {@link #enqueue}) so that no entry is sent before all of them are queued, then
     * sends: the requests travel together even while entries complete and drain on other threads.
     */
    void enqueueTogether(Runnable enqueues) {
        drainLock.lock();
        try {
            enqueues.run();
        } finally {
            drainLock.unlock();
        }
        drain();
    }

    /** Sends queued requests as entries while fewer than the in-flight limit are outstanding. */
    void drain() {
        while (true) {
            if (!drainLock.tryLock()) {
                return; // the holder re-checks the queue after unlocking
            }
            try {
                while (inflight.get() < maxInflight) {
                    List<Pending> batch = take();
                    if (batch.isEmpty()) {
                        break;
                    }
                    inflight.incrementAndGet();
                    send(batch, 0, server.raftMetrics().appendStarted());
                }
            } finally {
                drainLock.unlock();
            }
            if (queue.isEmpty() || inflight.get() >= maxInflight) {
                return;
            }
        }
    }

    private List<Pending> take() {
        List<Pending> batch = new ArrayList<>();
        int bytes = 0;
        Pending p;
        while ((p = queue.peek()) != null) {
            if (!batch.isEmpty() && bytes + p.size() > maxEntryBytes) {
                break;
            }
            queue.poll();
            bytes += p.size();
            batch.add(p);
        }
        return batch;
    }

    /** @param startNanos when the batch was first submitted: its latency is measured from there */
    private void send(List<Pending> batch, int attempt, long startNanos) {
        long origin = server.origin();
        List<DataEntry.Op> ops = new ArrayList<>(batch.size());
        for (Pending p : batch) {
            submitted.put(p.id, p);
            PartitionReplica r = p.replica;
            ops.add(new DataEntry.Op(p.type, origin, p.id, r.topicId(), r.topic(), r.partition(), p.value, p.payload));
        }
        entries.incrementAndGet();
        requests.addAndGet(batch.size());
        CompletableFuture<RaftClientReply> reply;
        try {
            RaftClientRequest request = RaftClientRequest.newBuilder()
                    .setClientId(clientId)
                    .setServerId(server.peerId())
                    .setGroupId(group.groupId())
                    .setCallId(CALL_IDS.incrementAndGet())
                    .setMessage(Message.valueOf(DataEntry.encode(ops)))
                    .setType(RaftClientRequest.writeRequestType())
                    .build();
            reply = group.submit(request);
        } catch (Exception e) {
            reply = CompletableFuture.failedFuture(e);
        }
        reply.orTimeout(timeoutMs, TimeUnit.MILLISECONDS).whenComplete((r, error) -> {
            Throwable failure = error != null ? unwrap(error) : (r.isSuccess() ? null : r.getException());
            if (failure instanceof LeaderNotReadyException && attempt < 50) {
                // a new leader is still applying its predecessors' entries: resubmit shortly, keeping the order
                server.scheduler().schedule(() -> send(batch, attempt + 1, startNanos), 20, TimeUnit.MILLISECONDS);
                return;
            }
            inflight.decrementAndGet();
            if (failure != null) {
                ConsensusException e = toConsensusException(failure);
                for (Pending p : batch) {
                    if (submitted.remove(p.id) != null) {
                        p.future.completeExceptionally(e);
                    }
                }
            } else {
                server.raftMetrics().appendCommitted(startNanos);
                for (Pending p : batch) {
                    if (submitted.remove(p.id) != null) { // applied without a result: cannot happen
                        LOG.warn("entry of group {} committed without a result for request {}", group.groupNo(), p.id);
                        p.future.completeExceptionally(new ConsensusException(Reason.STORAGE, "no result"));
                    }
                }
            }
            drain();
        });
    }

    private static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    ConsensusException toConsensusException(Throwable t) {
        t = unwrap(t);
        if (t instanceof ConsensusException c) {
            return c;
        }
        if (t instanceof NotLeaderException nle) {
            int hint = nle.getSuggestedLeader() == null ? -1 : Ids.nodeId(nle.getSuggestedLeader().getId());
            return new ConsensusException(Reason.NOT_LEADER, "not the leader of data group " + group.groupNo(), hint, t);
        }
        if (t instanceof TimeoutException) {
            return new ConsensusException(Reason.TIMEOUT, "no commit within " + timeoutMs + " ms", -1, t);
        }
        if (t instanceof StateMachineException) {
            return new ConsensusException(Reason.STORAGE, String.valueOf(t.getMessage()), -1, t);
        }
        return new ConsensusException(Reason.NOT_AVAILABLE, String.valueOf(t), group.leaderNodeId(), t);
    }
}
