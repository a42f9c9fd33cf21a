package io.chronik.raft.internal;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.ratis.proto.RaftProtos.RaftGroupIdProto;
import org.apache.ratis.proto.RaftProtos.RaftRpcRequestProto;
import org.apache.ratis.proto.RaftProtos.StartLeaderElectionReplyProto;
import org.apache.ratis.proto.RaftProtos.StartLeaderElectionRequestProto;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.ratis.rpc.TransportObserver;

/**
 * Starts an election at once when the process of a group's leader is gone, instead of after Ratis' election timeout.
 *
 * <p>A Ratis follower notices a silent leader only one to two election timeouts after the leader's last heartbeat (it
 * sleeps a random timeout, then checks whether the leader was silent that long), which made most of the failover
 * time after a SIGKILL (docs/PERFORMANCE.md, "Failover time"). But when a leader's process dies, its host closes its
 * connections at once and the transport reports them {@link TransportObserver#disconnected closed}. Then this class
 * probes the peer's Raft address with a TCP connect: only a refused connection (nothing listens there: the process is
 * gone, its host is up) counts as dead; an accepted connection or a probe timeout (an unreachable host) changes
 * nothing and the election timeout stays in charge. For each group hosted here whose leader is the dead peer, the
 * surviving member with the lowest node id asks its own division to start an election now: the
 * {@code startLeaderElection} request a Ratis leader sends when it hands over leadership, made in the dead leader's
 * name. Ratis accepts it only while it still follows that leader in that term and its log is not behind the last
 * entry named (its own), and then runs the election without pre-vote; Raft's election rules are unchanged (a
 * candidate whose log is behind the other survivor's loses, and the election timeout decides instead). Only one
 * survivor starts early, so that two candidates do not split the vote. Because the election skips pre-vote, it starts
 * only when enough of the other survivors answer this node ({@link PeerProbe}, a request on the same transport) for
 * it to win: a candidate cut off from the majority would raise its term in every round, and once its links heal,
 * depose the leader the others elected meanwhile (seen in the chaos suite with one broken link during a kill).
 *
 * <p>Only for transports whose peer addresses are TCP addresses (gRPC); see {@link #observing}.
 *
 * <p>Threads: {@link TransportObserver#disconnected} arrives on the transport's threads and only queues the probe on
 * the node's scheduler, which runs the probe (at most {@link #PROBE_TIMEOUT_MS}) and the requests to the local
 * divisions. Never throws into the transport.
 */
final class DeadLeaderTakeover {
    private static final Logger LOG = LoggerFactory.getLogger(DeadLeaderTakeover.class);
    /** How long the connect probe may take; a peer that neither accepts nor refuses within it is not known dead. */
    static final int PROBE_TIMEOUT_MS = 200;

    /** How long the other survivors may take to answer {@link PeerProbe}. */
    static final int ANSWER_TIMEOUT_MS = 300;

    private final LocalServer server;
    private final PeerProbe peers;
    private final Set<String> probing = ConcurrentHashMap.newKeySet();
    private final AtomicLong callIds = new AtomicLong();

    DeadLeaderTakeover(LocalServer server, PeerProbe peers) {
        this.server = server;
        this.peers = peers;
    }

    /**
     * {@code next} (the transport metrics' observer), which additionally hands closed connections to this class when
     * {@code transport} connects peers over TCP (gRPC); {@code next} alone otherwise.
     */
    TransportObserver observing(String transport, TransportObserver next) {
        if (!"grpc".equals(transport)) {
            return next;
        }
        return new TransportObserver() {
            @Override
            public void sent(String peer, Kind kind, long bytes) {
                next.sent(peer, kind, bytes);
            }

            @Override
            public void received(String peer, Kind kind, long bytes) {
                next.received(peer, kind, bytes);
            }

            @Override
            public void completed(String peer, Kind kind, long nanos, Throwable error) {
                next.completed(peer, kind, nanos, error);
            }

            @Override
            public void connected(String peer) {
                next.connected(peer);
            }

            @Override
            public void disconnected(String peer) {
                next.disconnected(peer);
                connectionClosed(peer);
            }

            @Override
            public String toString() {
                return "DeadLeaderTakeover[" + next + "]";
            }
        };
    }

    /** A connection from {@code peer} closed: queues a check of the groups it leads. Never blocks or throws. */
    void connectionClosed(String peer) {
        if (peer == null || server.isStopping() || !probing.add(peer)) {
            return;
        }
        try {
            server.scheduler().execute(() -> {
                try {
                    check(RaftPeerId.valueOf(peer));
                } catch (RuntimeException e) {
                    LOG.debug("checking the groups led by {} failed: {}", peer, e.toString());
                } finally {
                    probing.remove(peer);
                }
            });
        } catch (RejectedExecutionException e) {
            probing.remove(peer); // the node is stopping
        }
    }

    /** On the scheduler: the groups led by {@code dead} that this node should take over, if {@code dead} is gone. */
    private void check(RaftPeerId dead) {
        RaftServer s = server.serverOrNull();
        if (s == null || server.isStopping()) {
            return;
        }
        List<RaftServer.Division> takeOver = new ArrayList<>();
        InetSocketAddress address = null;
        for (RaftGroupId g : s.getGroupIds()) {
            RaftServer.Division d;
            try {
                d = s.getDivision(g);
            } catch (IOException e) {
                continue; // removed meanwhile
            }
            DivisionInfo info = d.getInfo();
            if (!info.isFollower() || !dead.equals(info.getLeaderId())) {
                continue;
            }
            RaftPeer leader = d.getRaftConf().getPeer(dead);
            if (leader == null || !firstSurvivor(d.getRaftConf().getCurrentPeers(), dead, server.peerId())) {
                continue;
            }
            takeOver.add(d);
            if (address == null) {
                address = address(leader.getAddress());
            }
        }
        if (takeOver.isEmpty() || address == null || !refused(address)) {
            return;
        }
        Map<RaftPeerId, Boolean> answers = new HashMap<>();
        long t0 = System.nanoTime();
        for (RaftServer.Division d : takeOver) {
            if (majorityAnswers(d, dead, answers)) {
                startElection(s, d, dead, (System.nanoTime() - t0) / 1_000_000);
            }
        }
    }

    /**
     * Whether enough of the other survivors of {@code d}'s group answer this node for it to win a vote (with its own):
     * the election starts without pre-vote, so it must not start where a broken link keeps this node from a majority.
     * Each peer is asked at most once per check; {@code answers} remembers.
     */
    private boolean majorityAnswers(RaftServer.Division d, RaftPeerId dead, Map<RaftPeerId, Boolean> answers) {
        Collection<RaftPeer> voters = d.getRaftConf().getCurrentPeers();
        List<RaftPeerId> others = new ArrayList<>();
        for (RaftPeer p : voters) {
            if (!p.getId().equals(dead) && !p.getId().equals(server.peerId())) {
                others.add(p.getId());
            }
        }
        List<RaftPeerId> unasked = others.stream().filter(p -> !answers.containsKey(p)).toList();
        if (!unasked.isEmpty()) {
            Set<RaftPeerId> answered = peers.answering(d.getGroup(), unasked, ANSWER_TIMEOUT_MS);
            unasked.forEach(p -> answers.put(p, answered.contains(p)));
        }
        long answering = others.stream().filter(answers::get).count();
        boolean enough = votesNeeded(voters.size()) <= answering + 1;
        if (!enough) {
            LOG.info("leader {} of {} is gone, but only {} of the other {} survivor(s) answer: the election timeout decides",
                    dead, d.getMemberId().getGroupId(), answering, others.size());
        }
        return enough;
    }

    /** The votes a candidate needs among {@code voters} members (a majority, its own included). */
    static int votesNeeded(int voters) {
        return voters / 2 + 1;
    }

    /** Whether {@code self} has the lowest node id among the {@code peers} other than {@code dead}. */
    static boolean firstSurvivor(Iterable<RaftPeer> peers, RaftPeerId dead, RaftPeerId self) {
        int lowest = Integer.MAX_VALUE;
        for (RaftPeer p : peers) {
            int id = Ids.nodeId(p.getId());
            if (!p.getId().equals(dead) && id >= 0) {
                lowest = Math.min(lowest, id);
            }
        }
        return lowest == Ids.nodeId(self);
    }

    private static InetSocketAddress address(String hostPort) {
        if (hostPort == null) {
            return null;
        }
        int colon = hostPort.lastIndexOf(':');
        try {
            return colon < 0 ? null : new InetSocketAddress(hostPort.substring(0, colon),
                    Integer.parseInt(hostPort.substring(colon + 1)));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Whether a TCP connect to {@code address} is refused (nothing listens there) within the probe timeout. */
    static boolean refused(InetSocketAddress address) {
        try (Socket socket = new Socket()) {
            socket.connect(address, PROBE_TIMEOUT_MS);
            return false; // something listens: the peer is alive (or back already)
        } catch (ConnectException e) {
            return true;
        } catch (IOException | RuntimeException e) {
            return false; // timeout, unreachable: not known dead
        }
    }

    /** Asks {@code d} to start an election now, in the name of its dead leader (see the class comment). */
    private void startElection(RaftServer s, RaftServer.Division d, RaftPeerId dead, long probedMs) {
        TermIndex last = d.getRaftLog().getLastEntryTermIndex();
        if (last == null) {
            return;
        }
        RaftRpcRequestProto rpc = RaftRpcRequestProto.newBuilder()
                .setRequestorId(dead.toByteString())
                .setReplyId(server.peerId().toByteString())
                .setRaftGroupId(RaftGroupIdProto.newBuilder().setId(d.getGroup().getGroupId().toByteString()))
                .setCallId(callIds.incrementAndGet())
                .build();
        StartLeaderElectionRequestProto request = StartLeaderElectionRequestProto.newBuilder()
                .setServerRequest(rpc).setLeaderLastEntry(last.toProto()).build();
        try {
            StartLeaderElectionReplyProto reply = s.startLeaderElection(request);
            boolean started = reply.getServerReply().getSuccess();
            LOG.info("leader {} of {} is gone (connection closed, connect refused; survivors asked in {} ms): {}", dead,
                    d.getMemberId().getGroupId(), probedMs,
                    started ? "election started" : "election not started (state changed)");
        } catch (IOException | RuntimeException e) {
            LOG.info("leader {} of {} is gone, but starting an election failed: {}", dead,
                    d.getMemberId().getGroupId(), e.toString());
        }
    }
}
