package io.chronik.raft.internal;

import java.io.DataInputStream;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps this node's session with the metadata group and, where this node leads, the liveness in the metadata:
 * <ul>
 * <li>every {@link NodeSettings#heartbeatIntervalMs()}, a heartbeat (node id and applied metadata index) to the
 * metadata leader, as a non-linearizable read-only query: Ratis hands it to the leader's state machine
 * ({@link #query}) without a log entry, and a follower refuses it so that the client finds the leader;</li>
 * <li>on the metadata leader, the fencing and unfencing that {@link BrokerSessions} finds due, submitted as
 * metadata commands;</li>
 * <li>for every data group this node leads, its in-sync replicas published through {@link MetaCommand.GroupIsr}
 * whenever they differ from the applied metadata.</li>
 * </ul>
 * Runs on the node's scheduler every eighth of the session timeout; never blocks (submissions complete on Ratis'
 * threads). At most one heartbeat, one round of fencing commands and one publication per group are in flight.
 */
final class Liveness {
    private static final Logger LOG = LoggerFactory.getLogger(Liveness.class);

    private final LocalServer server;
    private final MetadataStateMachine machine;
    private final Supplier<RaftClient> client;
    private final MetadataWriter writer;
    private final DataGroups groups;
    private final BrokerSessions sessions;
    private final AtomicBoolean heartbeating = new AtomicBoolean();
    private final AtomicBoolean fencing = new AtomicBoolean();
    private final Set<Integer> publishing = ConcurrentHashMap.newKeySet();
    /** Per data group led here: its term and (time, commit index) samples covering the last lag limit. */
    private final Map<Integer, CommitHistory> commits = new HashMap<>();
    private long lastHeartbeatNanos;
    /**
     * When the last heartbeat that the metadata leader acknowledged was sent (from the registration on); 0 before
     * this node registered.
     */
    private volatile long acknowledgedBeatNanos;

    Liveness(LocalServer server, MetadataStateMachine machine, Supplier<RaftClient> client, MetadataWriter writer,
            DataGroups groups) {
        this.server = server;
        this.machine = machine;
        this.client = client;
        this.writer = writer;
        this.groups = groups;
        this.sessions = new BrokerSessions(server.settings().sessionTimeoutMs());
    }

    /** Starts the ticks once this broker is registered. */
    void start() {
        long period = Math.max(10, server.settings().sessionTimeoutMs() / 8);
        writer.registered().thenRun(() -> {
            acknowledgedBeatNanos = System.nanoTime();
            try {
                server.scheduler().scheduleWithFixedDelay(this::tick, 0, period, TimeUnit.MILLISECONDS);
            } catch (RuntimeException e) {
                LOG.debug("node stopping: no liveness ticks");
            }
        });
    }

    /**
     * Whether this node's session with the metadata group is current: a heartbeat sent less than a session timeout
     * plus the longest election timeout ago was acknowledged (true until the node has registered). The election
     * timeout is the margin for a change of metadata leader, during which no heartbeat is acknowledged (the new
     * leader then gives every broker a full session). A node out of session has been fenced by the metadata
     * leader, or cannot reach one, and what it applied of the metadata may be stale. Thread-safe, non-blocking.
     */
    boolean inSession(long nowNanos) {
        long acked = acknowledgedBeatNanos;
        NodeSettings s = server.settings();
        return acked == 0 || nowNanos - acked < (s.sessionTimeoutMs() + s.electionTimeoutMaxMs()) * 1_000_000L;
    }

    /** A metadata query arrived at this node's metadata state machine (on Ratis' threads): a heartbeat. */
    CompletableFuture<Message> query(Message request) {
        try {
            sessions.receive(new DataInputStream(request.getContent().newInput()), System.nanoTime());
            return CompletableFuture.completedFuture(Message.EMPTY);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private void tick() {
        if (server.isStopping()) {
            return;
        }
        try {
            long now = System.nanoTime();
            if (now - lastHeartbeatNanos >= server.settings().heartbeatIntervalMs() * 1_000_000L) {
                lastHeartbeatNanos = now;
                heartbeat();
            }
            fenceAndUnfence(now);
            publishIsrs();
        } catch (RuntimeException e) {
            LOG.warn("liveness tick failed", e);
        }
    }

    private void heartbeat() {
        RaftClient c = client.get();
        if (c == null || !heartbeating.compareAndSet(false, true)) {
            return;
        }
        TermIndex applied = machine.getLastAppliedTermIndex();
        byte[] beat = BrokerSessions.encodeHeartbeat(server.settings().nodeId(), applied == null ? -1 : applied.getIndex());
        CompletableFuture<?> sent;
        try {
            sent = c.async().sendReadOnlyNonLinearizable(Message.valueOf(ByteString.copyFrom(beat)));
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        long sentNanos = System.nanoTime();
        sent.orTimeout(server.settings().sessionTimeoutMs(), TimeUnit.MILLISECONDS).whenComplete((r, e) -> {
            heartbeating.set(false);
            if (e == null) {
                acknowledgedBeatNanos = sentNanos; // one heartbeat in flight at a time
            } else if (!server.isStopping()) {
                LOG.debug("heartbeat of node {} failed: {}", server.settings().nodeId(), e.toString());
                server.metadataRequestFailed(c, e);
            }
        });
    }

    private void fenceAndUnfence(long now) {
        RaftServer.Division d = metadataDivision();
        if (d == null || !d.getInfo().isLeader() || !d.getInfo().isLeaderReady()) {
            sessions.following();
            return;
        }
        sessions.leading(d.getInfo().getCurrentTerm(), now);
        List<MetaCommand> due = sessions.due(machine.state(), server.settings().nodeId(), now);
        if (due.isEmpty() || !fencing.compareAndSet(false, true)) {
            return;
        }
        CompletableFuture<?>[] submitted = new CompletableFuture<?>[due.size()];
        for (int i = 0; i < due.size(); i++) {
            MetaCommand cmd = due.get(i);
            LOG.info("metadata leader {}: {}", server.settings().nodeId(), cmd);
            submitted[i] = writer.submit(cmd, false);
        }
        CompletableFuture.allOf(submitted).whenComplete((v, e) -> {
            fencing.set(false);
            if (e != null) {
                LOG.debug("fencing/unfencing failed: {}", e.toString());
            }
        });
    }

    private void publishIsrs() {
        MetadataState state = machine.state();
        int self = server.settings().nodeId();
        commits.keySet().removeIf(no -> !state.groups.containsKey(no)); // retired groups
        for (DataGroup g : groups.all()) {
            int groupNo = g.groupNo();
            MetadataState.Group placed = state.groups.get(groupNo);
            if (placed == null || !g.isLeaderReady()) {
                commits.remove(groupNo); // a new leadership starts a new history
                continue;
            }
            if (publishing.contains(groupNo)) {
                continue;
            }
            long term = g.term();
            long minMatch = commits.computeIfAbsent(groupNo, n -> new CommitHistory()).sample(term, System.nanoTime(),
                    g.commitIndex(), server.settings().sessionTimeoutMs() * 1_000_000L);
            List<Integer> isr = g.inSyncReplicas(placed.replicas(), minMatch).stream().filter(state::isLive).toList();
            MetadataState.Leader recorded = state.leaders.get(groupNo);
            boolean current = recorded != null && recorded.nodeId() == self && recorded.term() == term
                    && Objects.equals(state.isrs.get(groupNo), isr);
            if (current || !publishing.add(groupNo)) {
                continue;
            }
            List<Integer> before = state.isrs.get(groupNo);
            writer.submit(new MetaCommand.GroupIsr(groupNo, self, term, isr), false).whenComplete((r, e) -> {
                publishing.remove(groupNo);
                if (e == null) {
                    server.raftMetrics().isrPublished(before, isr); // a shrink or an expansion, if the ISR changed
                } else {
                    LOG.debug("publishing the ISR of data group {} failed: {}", groupNo, e.toString());
                }
            });
        }
    }

    /**
     * A group leader's commit index over the last lag limit (the session timeout): a follower is in sync if its log
     * reaches the commit index the leader had that long ago. Used on the scheduler thread only.
     */
    static final class CommitHistory {
        private final ArrayDeque<long[]> samples = new ArrayDeque<>();
        private long term = -1;

        /** Records {@code commitIndex} at {@code nowNanos}; returns the commit index {@code lagNanos} ago, or -1. */
        long sample(long currentTerm, long nowNanos, long commitIndex, long lagNanos) {
            if (currentTerm != term) {
                samples.clear();
                term = currentTerm;
            }
            samples.addLast(new long[] {nowNanos, commitIndex});
            // keep the newest sample at least lagNanos old as the oldest one
            while (samples.size() > 1) {
                Iterator<long[]> it = samples.iterator();
                it.next();
                if (nowNanos - it.next()[0] < lagNanos) {
                    break;
                }
                samples.removeFirst();
            }
            long[] oldest = samples.peekFirst();
            return nowNanos - oldest[0] >= lagNanos ? oldest[1] : -1;
        }
    }

    private RaftServer.Division metadataDivision() {
        RaftServer s = server.serverOrNull();
        if (s == null) {
            return null;
        }
        try {
            return s.getDivision(Ids.METADATA_GROUP);
        } catch (IOException e) {
            return null;
        }
    }
}
