package io.chronik.raft.internal;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.consensus.ElectionResult;
import io.chronik.api.net.HostPort;

/**
 * Preferred leader election: moves the leadership of data groups to their preferred replica (the first of the
 * group's replicas, which placement makes the first replica of each of its partitions) by Ratis leadership transfer.
 * The transfer is sent with a Raft client to the group, so it works from any node, member of the group or not; the
 * group's leader hands over only once the preferred replica's log is up to date, so an out-of-date replica is never
 * elected.
 *
 * <p>Thread-safe and non-blocking: the blocking Ratis admin calls run on this object's own threads (two, so that a
 * transfer waiting for an unavailable replica does not hold up all others). {@link #close} stops them.
 */
final class PreferredLeaders implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PreferredLeaders.class);

    private final LocalServer server;
    private final Supplier<MetadataState> metadata;
    private final DataGroups groups;
    private final GroupClients clients;
    private final ExecutorService transfers;

    /**
     * @param metadata the metadata as applied on this node
     * @param groups   the local data groups (their divisions know the current leader first hand)
     * @param clients  makes a Raft client for a group (closed by the caller after use)
     */
    PreferredLeaders(LocalServer server, Supplier<MetadataState> metadata, DataGroups groups,
            GroupClients clients) {
        this.server = server;
        this.metadata = metadata;
        this.groups = groups;
        this.clients = clients;
        AtomicInteger n = new AtomicInteger();
        this.transfers = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "chronik-raft-" + server.settings().nodeId() + "-leaders-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Elects the preferred leaders of {@code partitions} (topic to partition numbers; {@code null}: all). Each data
     * group involved is asked once; its partitions all get its result.
     */
    CompletableFuture<Map<String, Map<Integer, ElectionResult>>> elect(Map<String, Set<Integer>> partitions) {
        MetadataState s = metadata.get();
        Map<String, Set<Integer>> wanted = partitions;
        if (wanted == null) {
            wanted = new TreeMap<>();
            for (MetadataState.Topic t : s.topics.values()) {
                Set<Integer> all = new TreeSet<>();
                for (int p = 0; p < t.groups().size(); p++) {
                    all.add(p);
                }
                wanted.put(t.name(), all);
            }
        }
        Map<String, Map<Integer, Integer>> groupOf = new TreeMap<>();
        Set<Integer> groupNos = new TreeSet<>();
        Map<String, Map<Integer, ElectionResult>> results = new TreeMap<>();
        for (Map.Entry<String, Set<Integer>> e : wanted.entrySet()) {
            MetadataState.Topic t = s.topics.get(e.getKey());
            Map<Integer, ElectionResult> topicResults = results.computeIfAbsent(e.getKey(), k -> new TreeMap<>());
            for (Integer p : e.getValue()) {
                if (t == null || p == null || p < 0 || p >= t.groups().size() || !s.groups.containsKey(t.groups().get(p))) {
                    topicResults.put(p, ElectionResult.UNKNOWN_PARTITION);
                } else {
                    groupOf.computeIfAbsent(e.getKey(), k -> new TreeMap<>()).put(p, t.groups().get(p));
                    groupNos.add(t.groups().get(p));
                }
            }
        }
        return electGroups(groupNos).thenApply(byGroup -> {
            groupOf.forEach((topic, parts) -> parts.forEach((p, g) -> results.get(topic).put(p, byGroup.get(g))));
            return results;
        });
    }

    /** Elects the preferred leader of each data group in {@code groupNos}; completes with each group's result. */
    CompletableFuture<Map<Integer, ElectionResult>> electGroups(Collection<Integer> groupNos) {
        Map<Integer, CompletableFuture<ElectionResult>> pending = new TreeMap<>();
        for (Integer g : groupNos) {
            pending.put(g, electGroup(g));
        }
        return CompletableFuture.allOf(pending.values().toArray(new CompletableFuture<?>[0])).thenApply(v -> {
            Map<Integer, ElectionResult> out = new TreeMap<>();
            pending.forEach((g, f) -> out.put(g, f.join()));
            return out;
        });
    }

    private CompletableFuture<ElectionResult> electGroup(int groupNo) {
        MetadataState s = metadata.get();
        MetadataState.Group g = s.groups.get(groupNo);
        if (g == null || g.replicas().isEmpty()) {
            return CompletableFuture.completedFuture(ElectionResult.UNKNOWN_PARTITION);
        }
        int preferred = g.replicas().get(0);
        DataGroup local = groups.get(groupNo);
        if (preferred == server.settings().nodeId() && local != null && local.isLeader()) {
            return CompletableFuture.completedFuture(ElectionResult.NOT_NEEDED);
        }
        if (!s.isLive(preferred) || !inSyncAsFarAsKnown(groupNo, g, preferred)) {
            return CompletableFuture.completedFuture(ElectionResult.PREFERRED_NOT_AVAILABLE);
        }
        RaftGroup raftGroup = raftGroup(s, g, server.settings());
        if (raftGroup == null) {
            return CompletableFuture.completedFuture(ElectionResult.PREFERRED_NOT_AVAILABLE);
        }
        int leaderHint = leaderOf(s, groupNo);
        try {
            return CompletableFuture.supplyAsync(() -> transfer(groupNo, raftGroup, leaderHint, preferred), transfers);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.completedFuture(ElectionResult.PREFERRED_NOT_AVAILABLE);
        }
    }

    /**
     * Blocks until the group's leader handed over to {@code preferred}, or gave up. Whether the group needed the
     * election at all is learnt from the group itself, not from this node's possibly stale view: a leader that is
     * already the preferred replica answers the request itself, while a leader that hands over answers as the old
     * leader.
     *
     * @param leaderHint the leader as this node knows it (-1: unknown), where the client tries first
     */
    private ElectionResult transfer(int groupNo, RaftGroup group, int leaderHint, int preferred) {
        long timeoutMs = transferTimeoutMs(server.settings());
        try (RaftClient client = clients.client(group, leaderHint < 0 ? null : Ids.peerId(leaderHint), timeoutMs)) {
            RaftClientReply reply = client.admin().transferLeadership(Ids.peerId(preferred), timeoutMs);
            if (reply.isSuccess()) {
                if (Ids.nodeId(reply.getServerId()) == preferred) {
                    return ElectionResult.NOT_NEEDED;
                }
                LOG.info("data group {}: leadership moved to its preferred replica, node {}", groupNo, preferred);
                return ElectionResult.ELECTED;
            }
            LOG.info("data group {}: leadership not moved to node {}: {}", groupNo, preferred, reply.getException());
        } catch (Exception e) {
            LOG.info("data group {}: leadership not moved to node {}: {}", groupNo, preferred, e.toString());
        }
        return ElectionResult.PREFERRED_NOT_AVAILABLE;
    }

    /**
     * How long a transfer may wait for the preferred replica to catch up and win: two maximum election timeouts, at
     * least 3 s, at most the request timeout.
     */
    static long transferTimeoutMs(NodeSettings s) {
        return Math.min(s.requestTimeoutMs(), Math.max(3000, 2 * s.electionTimeoutMaxMs()));
    }

    /**
     * The leader of data group {@code groupNo} as this node knows it: first hand if it hosts the group, else the
     * leader last recorded in the metadata; -1 if unknown.
     */
    int leaderOf(MetadataState s, int groupNo) {
        DataGroup local = groups.get(groupNo);
        if (local != null && local.division() != null) {
            int leader = local.leaderNodeId();
            if (leader >= 0) {
                return leader;
            }
        }
        MetadataState.Leader reported = s.leaders.get(groupNo);
        return reported == null ? -1 : reported.nodeId();
    }

    /** False only if this node leads the group and sees that {@code preferred} stopped answering it. */
    private boolean inSyncAsFarAsKnown(int groupNo, MetadataState.Group g, int preferred) {
        DataGroup local = groups.get(groupNo);
        return local == null || !local.isLeader() || local.inSyncReplicas(g.replicas(), 0).contains(preferred);
    }

    /** The Raft group of data group {@code g}: its replicas at their registered Raft addresses; null if one is unknown. */
    static RaftGroup raftGroup(MetadataState s, MetadataState.Group g, NodeSettings settings) {
        List<RaftPeer> peers = new ArrayList<>();
        for (Integer id : g.replicas()) {
            MetadataState.Broker b = s.brokers.get(id);
            HostPort addr = b != null ? new HostPort(b.raftHost(), b.raftPort()) : settings.peers().get(id);
            if (addr == null) {
                return null;
            }
            peers.add(RaftPeer.newBuilder().setId(Ids.peerId(id)).setAddress(addr.toString()).build());
        }
        return RaftGroup.valueOf(Ids.dataGroup(g.no()), peers);
    }

    @Override
    public void close() {
        transfers.shutdownNow();
    }

    /** Makes Raft clients of data groups on the node's transport. */
    interface GroupClients {
        /**
         * A client of {@code group} that tries {@code leader} first (null: any member) and waits up to
         * {@code requestTimeoutMs} for an answer; the caller closes it.
         *
         * @throws IllegalStateException if the node is not running
         */
        RaftClient client(RaftGroup group, RaftPeerId leader, long requestTimeoutMs);
    }
}
