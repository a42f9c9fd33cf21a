package io.chronik.raft.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupInfoReply;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.protocol.SnapshotManagementRequest;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.RaftConfiguration;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.consensus.ConsensusException;
import io.chronik.api.consensus.ConsensusException.Reason;
import io.chronik.api.net.HostPort;

/**
 * The metadata group's membership after its first start, KRaft's observers and {@code add-controller} in Ratis terms:
 * <ul>
 * <li><b>Joining.</b> A node that starts without metadata storage while a member it names in {@code peers} already
 * runs the metadata group without it ({@link #probe}) starts its metadata division as a Ratis listener
 * ({@link #joiningGroup}) and asks the metadata leader to add it to the configuration as a listener
 * ({@link #joinAsListener}). A listener receives and applies the metadata log (or a snapshot) but neither votes nor
 * counts towards a commit; the node then registers as a broker like any other.</li>
 * <li><b>Promotion.</b> {@link #addVoter} (an operator's explicit step) changes the configuration so that a listener
 * becomes a voter; the group keeps committing throughout (Ratis' joint consensus). Ratis 3.2.1 keeps a promoted
 * listener in the listener role until its division restarts (RATIS-2378, fixed in 3.2.2), so the promoted node
 * restarts its metadata division from its own storage when it finds itself a voter ({@link #restartIfRoleChanged}).</li>
 * <li><b>Demotion.</b> {@link #demoteVoter} (the last step of decommissioning a node, {@link Decommissioner}) makes a
 * voter a listener again; Ratis 3.2.1 does not change a running division's role from follower to listener either, so
 * the demoted node restarts its metadata division the same way.</li>
 * </ul>
 * The blocking Ratis admin calls run on threads of their own (joining) or on the caller's thread (promotion,
 * documented per method); nothing here runs on Ratis' apply threads.
 */
final class MetadataMembership implements Decommissioner.Voters {
    private static final Logger LOG = LoggerFactory.getLogger(MetadataMembership.class);
    /** How long the start of a node without metadata storage waits for one running member to answer. */
    private static final long PROBE_TIMEOUT_MS = 1500;

    private final LocalServer server;
    private final Supplier<RaftClient> client;
    private final ClientId adminClientId = ClientId.randomId();
    private final AtomicLong callIds = new AtomicLong();
    private final AtomicBoolean restarting = new AtomicBoolean();

    MetadataMembership(LocalServer server, Supplier<RaftClient> client) {
        this.server = server;
        this.client = client;
    }

    /** Whether this node has metadata storage of its own (it formed or joined the group before). */
    static boolean hasMetadataStorage(NodeSettings settings) {
        return Files.isDirectory(settings.raftDir().resolve(Ids.METADATA_GROUP.getUuid().toString()));
    }

    /**
     * Asks the other members named in {@code peers}, one after the other, for the metadata group and returns its
     * voters as the first running member reports them, or empty if none answers (the cluster is being formed).
     * Blocks up to {@value #PROBE_TIMEOUT_MS} ms per unreachable member.
     */
    static Optional<RaftGroup> probe(NodeSettings settings, RaftProperties properties, Parameters parameters) {
        List<RaftPeer> others = new ArrayList<>();
        settings.peers().forEach((id, addr) -> {
            if (id != settings.nodeId()) {
                others.add(peer(id, addr, RaftPeerRole.FOLLOWER));
            }
        });
        if (others.isEmpty()) {
            return Optional.empty();
        }
        RaftProperties probing = new RaftProperties(properties);
        RaftClientConfigKeys.Rpc.setRequestTimeout(probing, TimeDuration.valueOf(PROBE_TIMEOUT_MS, TimeUnit.MILLISECONDS));
        try (RaftClient c = RaftClient.newBuilder().setClientId(ClientId.randomId())
                .setRaftGroup(RaftGroup.valueOf(Ids.METADATA_GROUP, others)).setProperties(probing)
                .setParameters(parameters).setRetryPolicy(RetryPolicies.noRetry()).build()) {
            for (RaftPeer p : others) {
                try {
                    GroupInfoReply info = c.getGroupManagementApi(p.getId()).info(Ids.METADATA_GROUP);
                    if (info.isSuccess() && info.getGroup() != null && !info.getGroup().getPeers().isEmpty()) {
                        return Optional.of(info.getGroup());
                    }
                } catch (IOException | RuntimeException e) {
                    LOG.debug("node {}: member {} does not answer for the metadata group: {}", settings.nodeId(),
                            p.getId(), e.toString());
                }
            }
        } catch (IOException e) {
            LOG.debug("closing the probe client failed", e);
        }
        return Optional.empty();
    }

    /** Whether {@code voters}, a running metadata group's, lists {@code nodeId}. */
    static boolean isVoter(RaftGroup voters, int nodeId) {
        return voters.getPeer(Ids.peerId(nodeId)) != null;
    }

    /** The running {@code voters} and this node as a listener: the group a joining node starts its division with. */
    static RaftGroup joiningGroup(RaftGroup voters, NodeSettings settings) {
        List<RaftPeer> peers = new ArrayList<>(voters.getPeers());
        peers.add(peer(settings.nodeId(), settings.raftAddr(), RaftPeerRole.LISTENER));
        return RaftGroup.valueOf(Ids.METADATA_GROUP, peers);
    }

    private static RaftPeer peer(int nodeId, HostPort addr, RaftPeerRole role) {
        return RaftPeer.newBuilder().setId(Ids.peerId(nodeId)).setAddress(addr.toString()).setStartupRole(role).build();
    }

    /**
     * Asks the metadata leader (through the metadata client, which finds it) to add this node to the configuration as
     * a listener; retried every half second on a thread of its own until it succeeds or the node stops. Completes
     * once the leader has committed the configuration; fails only when the node stops.
     */
    CompletableFuture<Void> joinAsListener() {
        CompletableFuture<Void> joined = new CompletableFuture<>();
        NodeSettings s = server.settings();
        RaftPeer self = peer(s.nodeId(), s.raftAddr(), RaftPeerRole.LISTENER);
        Thread t = new Thread(() -> {
            for (int attempt = 1; !server.isStopping(); attempt++) {
                RaftClient c = client.get();
                try {
                    if (c != null) {
                        RaftClientReply reply = c.admin().setConfiguration(SetConfigurationRequest.Arguments.newBuilder()
                                .setServersInNewConf(List.of()).setListenersInNewConf(List.of(self))
                                .setMode(SetConfigurationRequest.Mode.ADD).build());
                        if (reply.isSuccess()) {
                            LOG.info("node {} joined the metadata group as a listener", s.nodeId());
                            joined.complete(null);
                            return;
                        }
                        LOG.debug("joining the metadata group failed: {}", reply.getException());
                    }
                } catch (IOException | RuntimeException e) {
                    (attempt % 10 == 0 ? LOG.atWarn() : LOG.atDebug()).log("node {}: joining the metadata group failed "
                            + "(attempt {}): {}", s.nodeId(), attempt, e.toString());
                }
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    break;
                }
            }
            joined.completeExceptionally(new ConsensusException(Reason.NOT_AVAILABLE, "node stopped"));
        }, "chronik-raft-" + s.nodeId() + "-join");
        t.setDaemon(true);
        t.start();
        return joined;
    }

    /**
     * Makes {@code nodeId}, a listener of the metadata group, one of its voters: a Ratis configuration change from this
     * node's view of the configuration (compare-and-set, so a concurrent change is refused rather than lost),
     * forwarded to the metadata leader by the client. Blocks the calling thread until the change is committed or
     * refused (at most about the request timeout).
     *
     * @return a one-line description of the outcome
     * @throws ConsensusException NOT_AVAILABLE if the change failed or no leader answered, INVALID_REQUEST if
     *                            {@code nodeId} is not a listener of the metadata group
     */
    String addVoter(int nodeId) throws ConsensusException {
        RaftServer.Division d = metadataDivision();
        RaftClient c = client.get();
        if (d == null || c == null) {
            throw new ConsensusException(Reason.NOT_AVAILABLE, "node is not running");
        }
        RaftConfiguration conf = d.getRaftConf();
        RaftPeerId id = Ids.peerId(nodeId);
        Collection<RaftPeer> voters = conf.getCurrentPeers(RaftPeerRole.FOLLOWER);
        Collection<RaftPeer> listeners = conf.getCurrentPeers(RaftPeerRole.LISTENER);
        if (voters.stream().anyMatch(p -> p.getId().equals(id))) {
            return "node " + nodeId + " already is a voter of the metadata group: voters " + ids(voters);
        }
        RaftPeer listener = listeners.stream().filter(p -> p.getId().equals(id)).findFirst().orElseThrow(
                () -> new ConsensusException(Reason.INVALID_REQUEST, "node " + nodeId + " is not a listener of the "
                        + "metadata group (start it with --peers naming the running members first); voters " + ids(voters)
                        + ", listeners " + ids(listeners)));
        List<RaftPeer> newVoters = new ArrayList<>(voters);
        newVoters.add(RaftPeer.newBuilder(listener).setStartupRole(RaftPeerRole.FOLLOWER).build());
        List<RaftPeer> newListeners = listeners.stream().filter(p -> !p.getId().equals(id)).toList();
        setConfiguration(c, voters, listeners, newVoters, newListeners);
        LOG.info("node {} is a voter of the metadata group now: voters {}", nodeId, ids(newVoters));
        return "node " + nodeId + " is a voter of the metadata group: voters " + ids(newVoters);
    }

    @Override
    public List<Integer> voters() throws ConsensusException {
        RaftServer.Division d = metadataDivision();
        if (d == null) {
            throw new ConsensusException(Reason.NOT_AVAILABLE, "this node's metadata division is not running (it may be "
                    + "restarting)");
        }
        return ids(d.getRaftConf().getCurrentPeers(RaftPeerRole.FOLLOWER));
    }

    @Override
    public int leader() {
        return server.metadataLeader();
    }

    /**
     * Moves the metadata group's leadership to voter {@code nodeId} (Ratis' leadership transfer, through the metadata
     * client, which finds the leader). Blocks the calling thread until it is done or failed (at most about the
     * request timeout).
     *
     * @throws ConsensusException NOT_AVAILABLE if the transfer failed
     */
    @Override
    public void transferLeadership(int nodeId) throws ConsensusException {
        RaftClient c = client.get();
        if (c == null) {
            throw new ConsensusException(Reason.NOT_AVAILABLE, "node is not running");
        }
        RaftClientReply reply;
        try {
            reply = c.admin().transferLeadership(Ids.peerId(nodeId), server.settings().requestTimeoutMs());
        } catch (IOException | RuntimeException e) {
            throw new ConsensusException(Reason.NOT_AVAILABLE, "moving the metadata leadership to node " + nodeId
                    + " failed: " + e, -1, e);
        }
        if (!reply.isSuccess()) {
            throw new ConsensusException(Reason.NOT_AVAILABLE, "moving the metadata leadership to node " + nodeId
                    + " failed: " + reply.getException(), -1, reply.getException());
        }
        LOG.info("node {} leads the metadata group now", nodeId);
    }

    /**
     * Makes {@code nodeId}, a voter of the metadata group, one of its listeners: a compare-and-set Ratis configuration
     * change from this node's view of the configuration, as {@link #addVoter}. The node keeps receiving and applying
     * the metadata but no longer counts towards a commit or an election, so it can be stopped. Call it with another
     * node leading the group. Blocks the calling thread until the change is committed or refused (at most about the
     * request timeout).
     *
     * @return a one-line description of the outcome
     * @throws ConsensusException NOT_AVAILABLE if the change failed or no leader answered, INVALID_REQUEST if
     *                            {@code nodeId} is the only voter
     */
    @Override
    public String demoteVoter(int nodeId) throws ConsensusException {
        RaftServer.Division d = metadataDivision();
        RaftClient c = client.get();
        if (d == null || c == null) {
            throw new ConsensusException(Reason.NOT_AVAILABLE, "node is not running");
        }
        RaftConfiguration conf = d.getRaftConf();
        RaftPeerId id = Ids.peerId(nodeId);
        Collection<RaftPeer> voters = conf.getCurrentPeers(RaftPeerRole.FOLLOWER);
        Collection<RaftPeer> listeners = conf.getCurrentPeers(RaftPeerRole.LISTENER);
        RaftPeer voter = voters.stream().filter(p -> p.getId().equals(id)).findFirst().orElse(null);
        if (voter == null) {
            return "node " + nodeId + " is not a voter of the metadata group: voters " + ids(voters);
        }
        if (voters.size() == 1) {
            throw new ConsensusException(Reason.INVALID_REQUEST, "node " + nodeId + " is the only voter of the metadata group");
        }
        List<RaftPeer> newVoters = voters.stream().filter(p -> !p.getId().equals(id)).toList();
        List<RaftPeer> newListeners = new ArrayList<>(listeners);
        newListeners.add(RaftPeer.newBuilder(voter).setStartupRole(RaftPeerRole.LISTENER).build());
        setConfiguration(c, voters, listeners, newVoters, newListeners);
        LOG.info("node {} is a listener of the metadata group now: voters {}", nodeId, ids(newVoters));
        return "node " + nodeId + " is a listener of the metadata group: voters " + ids(newVoters);
    }

    private static List<Integer> ids(Collection<RaftPeer> peers) {
        return peers.stream().map(p -> Ids.nodeId(p.getId())).sorted().toList();
    }

    /**
     * If this node's metadata division still runs as a listener while the committed configuration makes it a voter,
     * or as a follower while it makes it a listener, restarts the division from its storage so that it runs in its new
     * role (see the class comment): a snapshot first, so that the division reloads the current state, then Ratis' group
     * remove (keeping the storage) and add. Called on the node's scheduler; the restart runs on a thread of its own,
     * never two at once.
     */
    void restartIfRoleChanged() {
        RaftServer.Division d = metadataDivision();
        if (d == null || d.getInfo().isLeader() || restarting.get()) {
            return;
        }
        RaftConfiguration conf = d.getRaftConf();
        boolean stable = conf.getPreviousPeers(RaftPeerRole.FOLLOWER).isEmpty();
        RaftPeer self = conf.getPeer(server.peerId(), d.getInfo().isListener() ? RaftPeerRole.FOLLOWER : RaftPeerRole.LISTENER);
        if (!stable || self == null || d.getRaftLog().getLastCommittedIndex() < conf.getLogEntryIndex()
                || !restarting.compareAndSet(false, true)) {
            return;
        }
        List<RaftPeer> peers = new ArrayList<>(conf.getCurrentPeers(RaftPeerRole.FOLLOWER));
        for (RaftPeer l : conf.getCurrentPeers(RaftPeerRole.LISTENER)) {
            peers.add(RaftPeer.newBuilder(l).setStartupRole(RaftPeerRole.LISTENER).build());
        }
        RaftGroup group = RaftGroup.valueOf(Ids.METADATA_GROUP, peers);
        Thread t = new Thread(() -> restart(group), "chronik-raft-" + server.settings().nodeId() + "-promote");
        t.setDaemon(true);
        t.start();
    }

    private void restart(RaftGroup group) {
        long timeout = server.settings().requestTimeoutMs();
        try {
            RaftServer s = server.server();
            LOG.info("node {}'s role in the metadata group changed: restarting its metadata division",
                    server.settings().nodeId());
            RaftClientReply snapshot = s.snapshotManagementAsync(SnapshotManagementRequest.newCreate(adminClientId,
                    server.peerId(), Ids.METADATA_GROUP, callIds.incrementAndGet(), timeout)).get(timeout, TimeUnit.MILLISECONDS);
            if (!snapshot.isSuccess()) {
                LOG.debug("no metadata snapshot before the restart: {}", snapshot.getException());
            }
            RaftClientReply removed = s.groupManagementAsync(GroupManagementRequest.newRemove(adminClientId,
                    server.peerId(), callIds.incrementAndGet(), Ids.METADATA_GROUP, false, false))
                    .get(timeout, TimeUnit.MILLISECONDS);
            if (!removed.isSuccess()) {
                throw new IOException("removing the division failed", removed.getException());
            }
            RaftClientReply added = s.groupManagementAsync(GroupManagementRequest.newAdd(adminClientId, server.peerId(),
                    callIds.incrementAndGet(), group, false)).get(timeout, TimeUnit.MILLISECONDS);
            if (!added.isSuccess()) {
                throw new IOException("adding the division again failed", added.getException());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            if (!server.isStopping()) {
                LOG.error("restarting the metadata division of node {} failed; restart the node", server.settings().nodeId(), e);
            }
        } finally {
            restarting.set(false);
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

    /**
     * One compare-and-set configuration change of the metadata group, from the voters and listeners the caller saw to
     * the new ones (blocks until committed or refused).
     *
     * @throws ConsensusException NOT_AVAILABLE if the change failed or was refused
     */
    private static void setConfiguration(RaftClient c, Collection<RaftPeer> voters, Collection<RaftPeer> listeners,
            List<RaftPeer> newVoters, List<RaftPeer> newListeners) throws ConsensusException {
        RaftClientReply reply;
        try {
            reply = c.admin().setConfiguration(SetConfigurationRequest.Arguments.newBuilder()
                    .setServersInCurrentConf(new ArrayList<>(voters)).setListenersInCurrentConf(new ArrayList<>(listeners))
                    .setServersInNewConf(newVoters).setListenersInNewConf(newListeners)
                    .setMode(SetConfigurationRequest.Mode.COMPARE_AND_SET).build());
        } catch (IOException | RuntimeException e) {
            throw new ConsensusException(Reason.NOT_AVAILABLE, "changing the metadata group's configuration failed: " + e,
                    -1, e);
        }
        if (!reply.isSuccess()) {
            throw new ConsensusException(Reason.NOT_AVAILABLE, "changing the metadata group's configuration failed: "
                    + reply.getException(), -1, reply.getException());
        }
    }
}
