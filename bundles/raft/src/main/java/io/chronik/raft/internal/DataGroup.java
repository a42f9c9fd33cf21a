package io.chronik.raft.internal;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftClientAsynchronousProtocol;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.consensus.ConsensusException;
import io.chronik.api.consensus.ConsensusException.Reason;

/**
 * A data group on this node: its Raft division (looked up in the server), its partitions, its append batcher.
 *
 * <p>The partitions of a group are also listed in {@code <data.dir>/groups/<group uuid>.partitions} (written when
 * the metadata entry that placed them is applied), so that on start the group's state machine can open its
 * partition logs before the metadata group has replayed anything.
 */
final class DataGroup {
    private static final Logger LOG = LoggerFactory.getLogger(DataGroup.class);
    private static final AtomicLong CALL_IDS = new AtomicLong();

    /** A partition of this group as listed in its partitions file. */
    record Member(UUID topicId, String topic, int partition) {
    }

    private final LocalServer server;
    private final LocalReplicas localReplicas;
    private final Supplier<MetadataState> metadata;
    private final RaftGroupId groupId;
    private volatile int groupNo;
    private final Map<String, PartitionReplica> replicas = new ConcurrentHashMap<>();
    private final GroupAppender appender;
    private final ClientId readClientId = ClientId.randomId();
    private volatile DataStateMachine machine;

    /**
     * @param localReplicas opens the partitions listed in the group's partitions file
     * @param metadata      the metadata as applied on this node
     * @param groupNo       the group's number, or -1 if not known yet (then read from its partitions file)
     */
    DataGroup(LocalServer server, LocalReplicas localReplicas, Supplier<MetadataState> metadata, RaftGroupId groupId,
            int groupNo) {
        this.server = server;
        this.localReplicas = localReplicas;
        this.metadata = metadata;
        this.groupId = groupId;
        this.groupNo = groupNo;
        this.appender = new GroupAppender(this, server);
    }

    RaftGroupId groupId() {
        return groupId;
    }

    int groupNo() {
        return groupNo;
    }

    DataStateMachine machine() {
        return machine;
    }

    void machine(DataStateMachine m) {
        machine = m;
    }

    GroupAppender appender() {
        return appender;
    }

    Collection<PartitionReplica> replicas() {
        return replicas.values();
    }

    PartitionReplica replica(String topic, int partition) {
        return replicas.get(PartitionReplica.key(topic, partition));
    }

    void add(PartitionReplica r) {
        replicas.put(r.key(), r);
    }

    void remove(PartitionReplica r) {
        replicas.remove(r.key(), r);
    }

    /** The division, or null while it is not (yet) on the server. */
    RaftServer.Division division() {
        RaftServer s = server.serverOrNull();
        if (s == null) {
            return null;
        }
        try {
            return s.getDivision(groupId);
        } catch (IOException e) {
            return null;
        }
    }

    boolean isLeader() {
        RaftServer.Division d = division();
        return d != null && d.getInfo().isLeader();
    }

    /**
     * Whether this node leads the group and has applied an entry of its own term, so that everything committed
     * under earlier leaders is applied here too.
     */
    boolean isLeaderReady() {
        RaftServer.Division d = division();
        return d != null && d.getInfo().isLeader() && d.getInfo().isLeaderReady();
    }

    int term() {
        RaftServer.Division d = division();
        return d == null ? 0 : (int) d.getInfo().getCurrentTerm();
    }

    int leaderNodeId() {
        RaftServer.Division d = division();
        if (d == null) {
            return -1;
        }
        DivisionInfo info = d.getInfo();
        return info.isLeader() ? server.settings().nodeId() : Ids.nodeId(info.getLeaderId());
    }

    /**
     * The replicas in sync, as seen by this node: on the leader, itself and the followers that answered within the
     * maximum election timeout; elsewhere (no follower information) all {@code replicas}.
     */
    List<Integer> inSyncReplicas(List<Integer> replicas) {
        RaftServer.Division d = division();
        if (d == null || !d.getInfo().isLeader()) {
            return replicas;
        }
        long limit = server.settings().electionTimeoutMaxMs();
        List<Integer> isr = new ArrayList<>();
        isr.add(server.settings().nodeId());
        for (var f : d.getInfo().getRoleInfoProto().getLeaderInfo().getFollowerInfoList()) {
            if (f.getLastRpcElapsedTimeMs() <= limit) {
                isr.add(Ids.nodeId(org.apache.ratis.protocol.RaftPeerId.valueOf(f.getId().getId())));
            }
        }
        List<Integer> ordered = new ArrayList<>();
        for (Integer r : replicas) {
            if (isr.contains(r)) {
                ordered.add(r);
            }
        }
        return ordered;
    }

    long lastAppliedIndex() {
        RaftServer.Division d = division();
        return d == null ? -1 : d.getInfo().getLastAppliedIndex();
    }

    /**
     * Submits a request to the local division. Ratis' server-level entry point hands each request to the division's
     * client thread pool and blocks the caller until that thread has appended it; the division itself implements
     * the same asynchronous client protocol, so calling it directly spares every request a thread hand-off (and
     * the caller, a Kafka I/O thread, the wait).
     */
    CompletableFuture<RaftClientReply> submit(RaftClientRequest request) throws IOException {
        RaftServer.Division d = division();
        if (d instanceof RaftClientAsynchronousProtocol direct) {
            return direct.submitClientRequestAsync(request);
        }
        return server.server().submitClientRequestAsync(request);
    }

    /** A ReadIndex barrier through the local server (a linearizable read of this group). */
    CompletableFuture<Void> readIndex() {
        try {
            RaftClientRequest request = RaftClientRequest.newBuilder()
                    .setClientId(readClientId)
                    .setServerId(server.peerId())
                    .setGroupId(groupId)
                    .setCallId(CALL_IDS.incrementAndGet())
                    .setMessage(Message.EMPTY)
                    .setType(RaftClientRequest.readRequestType())
                    .build();
            return submit(request).thenApply(reply -> {
                if (!reply.isSuccess()) {
                    throw new java.util.concurrent.CompletionException(appender.toConsensusException(reply.getException()));
                }
                return (Void) null;
            });
        } catch (Exception e) {
            return CompletableFuture.failedFuture(appender.toConsensusException(e));
        }
    }

    /**
     * The replica an entry's operation applies to. While this node's metadata lags behind the data group (a
     * follower), waits for the metadata entry that placed the partition here.
     *
     * @return null if the operation's topic was deleted
     */
    PartitionReplica replicaForApply(UUID topicId, String topic, int partition) throws ConsensusException {
        long deadline = System.nanoTime() + server.settings().requestTimeoutMs() * 1_000_000L;
        while (true) {
            PartitionReplica r = replica(topic, partition);
            if (r != null && r.topicId().equals(topicId)) {
                return r;
            }
            MetadataState state = metadata.get();
            if (state.deletedTopics.contains(topicId)) {
                return null;
            }
            if (System.nanoTime() > deadline || server.isStopping()) {
                throw new ConsensusException(Reason.UNKNOWN_TOPIC, "partition " + topic + "-" + partition + " (topic id "
                        + topicId + ") is not placed in data group " + groupNo + " on this node");
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ConsensusException(Reason.NOT_AVAILABLE, "interrupted");
            }
        }
    }

    // ---- partitions file ----

    private Path membersFile() {
        return server.settings().groupsDir().resolve(groupId.getUuid() + ".partitions");
    }

    /** Opens the replicas listed in the partitions file (state machine initialisation). */
    void openReplicas() throws IOException {
        Path file = membersFile();
        if (!Files.exists(file)) {
            return;
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (String line : lines) {
            if (line.startsWith("#group ")) {
                groupNo = Integer.parseInt(line.substring(7).trim());
                continue;
            }
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\t");
            Member m = new Member(UUID.fromString(f[0]), f[1], Integer.parseInt(f[2]));
            localReplicas.open(m.topicId(), m.topic(), m.partition(), this, null);
        }
    }

    /** Rewrites the partitions file atomically from the current members. */
    synchronized void persistMembers() {
        Path file = membersFile();
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.createDirectories(file.getParent());
            List<PartitionReplica> members = new ArrayList<>(replicas.values());
            try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                w.write("#group " + groupNo + "\n");
                for (PartitionReplica r : members) {
                    w.write(r.topicId() + "\t" + r.topic() + "\t" + r.partition() + "\n");
                }
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            LOG.error("writing {} failed", file, e);
        }
    }

    /** The division closed (server stop or group removal): fail what is still waiting. */
    void closed() {
        appender.failAll(new ConsensusException(Reason.NOT_AVAILABLE, "data group " + groupNo + " closed"));
    }
}
