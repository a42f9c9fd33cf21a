package io.chronik.raft.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.StateMachineLogEntryProto;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.SnapshotInfo;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.consensus.ConsensusException;
import io.chronik.api.consensus.ConsensusException.Reason;

/**
 * The state machine of a data group: applies produce appends and DeleteRecords to the partition logs of the group.
 *
 * <p><b>Snapshots carry the data.</b> The partition logs are the state; {@link #takeSnapshot} checkpoints every
 * partition log of the group at the last applied index and links its files into a snapshot directory
 * ({@link DataSnapshotStorage}), after which Ratis purges its log up to that index even if a follower is behind. Such
 * a follower (or a node whose disk was wiped) gets the snapshot's files from the leader (Ratis' snapshot installation)
 * and {@link #reinitialize} rebuilds its partitions from them; the log tail follows. A node that has no snapshot and
 * no data of the group first asks the {@link SnapshotArchiver} (the object store) for one, so that the leader is not
 * asked for the bulk (fetched before the group's division is added, see {@link #prefetchDir}). On start, {@link #initialize} opens the group's partition logs (each recovers to its own last
 * checkpoint), restores from the latest snapshot any partition whose log is behind it, and resumes at the snapshot's
 * index; entries after it are replayed from the Raft log, but never re-applied to a partition whose checkpoint is
 * already past them (a crash between two partitions' checkpoints).
 *
 * <p><b>Record batches live beside the Raft log.</b> The leader splits each entry into its header (the Raft log
 * data) and its record batches (Ratis state machine data, stored by the group's {@link PayloadLog}); an entry that
 * Ratis hands over without its batches (read back from its log on replay) gets them from there.
 */
final class DataStateMachine extends BaseStateMachine {
    private static final Logger LOG = LoggerFactory.getLogger(DataStateMachine.class);

    /** Told when the group's leader changes (on Ratis' thread). */
    interface LeaderListener {
        void leaderChanged(DataGroup group, RaftPeerId newLeader);
    }

    private final DataGroup group;
    private final LocalServer localServer;
    private final LeaderListener leaders;
    private final DataSnapshotStorage storage;
    private volatile PayloadLog payloads;
    /** When the snapshot being installed started arriving ({@link #pause}), or 0. */
    private volatile long installStartedNanos;

    /** Operations applied to a partition log, and skipped because the log's checkpoint already had them. */
    final java.util.concurrent.atomic.AtomicLong appliedOps = new java.util.concurrent.atomic.AtomicLong();
    final java.util.concurrent.atomic.AtomicLong skippedOps = new java.util.concurrent.atomic.AtomicLong();
    /** Snapshots Ratis installed from the leader ({@link #reinitialize}). */
    final java.util.concurrent.atomic.AtomicLong installs = new java.util.concurrent.atomic.AtomicLong();

    DataStateMachine(DataGroup group, LocalServer localServer, LeaderListener leaders) {
        this.group = group;
        this.localServer = localServer;
        this.leaders = leaders;
        this.storage = new DataSnapshotStorage(() -> "data group " + group.groupNo());
        group.machine(this);
    }

    @Override
    public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
        super.initialize(server, groupId, raftStorage);
        storage.init(raftStorage);
        NodeSettings settings = localServer.settings();
        payloads = PayloadLog.open(raftStorage.getStorageDir().getStateMachineDir().toPath().resolve("payloads"),
                settings.flushPolicy(), settings.raftSegmentSizeBytes(), "data group " + group.groupNo());
        group.openReplicas();
        adoptPrefetched(storage.latest() == null);
        load();
        MachineLifecycle.running(this);
    }

    /**
     * Where a snapshot fetched from the object store for a group this node does not have yet waits for the group's
     * division to start ({@link MetadataReconciler} fetches it before it adds the division: Ratis formats a new
     * division's directory, and a division slow to initialise loses a race with the leader's first requests).
     */
    static java.nio.file.Path prefetchDir(NodeSettings settings, int groupNo) {
        return settings.dataDir().resolve("snapshot-fetch").resolve("group-" + groupNo);
    }

    /**
     * A node with no snapshot of the group (new or wiped) starts from the snapshot fetched for it from the object store,
     * if there is one: linked into the group's snapshots; its partitions are in place already
     * ({@link MetadataReconciler}), or are restored from it like from one installed from the leader.
     */
    private void adoptPrefetched(boolean nothingLocal) {
        if (group.groupNo() < 0) {
            return;
        }
        java.nio.file.Path dir = prefetchDir(localServer.settings(), group.groupNo());
        if (!java.nio.file.Files.isDirectory(dir)) {
            return;
        }
        try {
            if (nothingLocal) {
                // linked, not moved: the fetched copy stays until the division has started (MetadataReconciler
                // deletes it), since Ratis formats the directory again if the start fails and is retried
                try (var snapshots = java.nio.file.Files.newDirectoryStream(dir, "snapshot.*")) {
                    for (java.nio.file.Path p : snapshots) {
                        if (!p.getFileName().toString().endsWith(".tmp")) {
                            DataSnapshotStorage.linkTree(p, storage.directory().resolve(p.getFileName()));
                        }
                    }
                }
                DataSnapshotStorage.DataSnapshot s = storage.load();
                if (s != null) {
                    LOG.info("data group {}: starts from snapshot {} fetched from the object store ({} partition(s), "
                            + "{} bytes)", group.groupNo(), s.termIndex(), s.manifest().partitions().size(),
                            s.manifest().bytes());
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("data group {}: the snapshot fetched from the object store is not used ({}); the leader will send "
                    + "one if needed", group.groupNo(), e.toString());
        }
    }

    /** The entries' record batches live beside the Raft log, in the {@link PayloadLog}. */
    @Override
    public DataApi data() {
        return payloads;
    }

    /**
     * The leader turns a submitted entry into a transaction: the header (operations, partitions, producer request
     * ids) becomes the Raft log data, the record batches the state machine data that Ratis hands to
     * {@link PayloadLog#write}.
     */
    @Override
    public TransactionContext startTransaction(RaftClientRequest request) throws IOException {
        ByteString[] parts = DataEntry.split(request.getMessage().getContent());
        TransactionContext.Builder b = TransactionContext.newBuilder()
                .setStateMachine(this)
                .setClientRequest(request)
                .setLogData(parts[0]);
        if (!parts[1].isEmpty()) {
            b.setStateMachineData(parts[1]);
        }
        return b.build();
    }

    /** Ratis is about to write a snapshot from the leader: nothing is applied until {@link #reinitialize}. */
    @Override
    public void pause() {
        if (installStartedNanos == 0) {
            installStartedNanos = System.nanoTime();
        }
        MachineLifecycle.paused(this);
    }

    /**
     * Ratis installed a snapshot from the leader (this replica was behind the leader's log, or had nothing): rebuild
     * the partitions from it and resume after its index.
     */
    @Override
    public void reinitialize() throws IOException {
        installs.incrementAndGet();
        DataSnapshotStorage.DataSnapshot snapshot = storage.load();
        LOG.info("data group {}: installed snapshot {} from the leader ({} partition(s), {} bytes)", group.groupNo(),
                snapshot == null ? "-" : snapshot.termIndex(), snapshot == null ? 0 : snapshot.manifest().partitions().size(),
                snapshot == null ? 0 : snapshot.manifest().bytes());
        load();
        if (snapshot != null) {
            payloads.purgeBelow(snapshot.index() + 1);
            localServer.snapshotMetrics().installed(SnapshotMetrics.dataGroup(group.groupNo()), snapshot.index(),
                    snapshot.manifest().bytes(), System.nanoTime() - installStartedNanos);
        }
        installStartedNanos = 0;
        MachineLifecycle.running(this);
    }

    /**
     * Restores from the latest snapshot every partition whose log is behind it (or missing), and resumes after the
     * snapshot's index.
     */
    private void load() throws IOException {
        DataSnapshotStorage.DataSnapshot snapshot = storage.latest();
        long minCheckpoint = Long.MAX_VALUE;
        int restored = 0;
        if (snapshot != null) {
            for (SnapshotManifest.Partition p : snapshot.manifest().partitions()) {
                PartitionReplica r = group.replica(p.topic(), p.partition());
                if (r == null || !r.topicId().equals(p.topicId()) || r.checkpointIndex < snapshot.index()) {
                    group.restore(p, snapshot.partitionDir(p));
                    restored++;
                }
            }
            setLastAppliedTermIndex(snapshot.termIndex());
        }
        for (PartitionReplica r : group.replicas()) {
            minCheckpoint = Math.min(minCheckpoint, r.checkpointIndex);
        }
        LOG.info("data group {}: {} partition(s) ({} restored from the snapshot), resuming after {} (partition "
                + "checkpoints from {})", group.groupNo(), group.replicas().size(), restored,
                snapshot == null ? "the start of the log" : snapshot.termIndex(),
                minCheckpoint == Long.MAX_VALUE ? "-" : minCheckpoint);
    }

    /** The group's local snapshots. */
    DataSnapshotStorage snapshots() {
        return storage;
    }

    @Override
    public StateMachineStorage getStateMachineStorage() {
        return storage;
    }

    @Override
    public SnapshotInfo getLatestSnapshot() {
        return storage.getLatestSnapshot();
    }

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        LogEntryProto entry = trx.getLogEntry();
        long index = entry.getIndex();
        int epoch = (int) entry.getTerm();
        List<DataEntry.Op> ops;
        try {
            StateMachineLogEntryProto smEntry = entry.getStateMachineLogEntry();
            ByteString batches = smEntry.getStateMachineEntry().getStateMachineData();
            if (smEntry.hasStateMachineEntry() && batches.isEmpty()) {
                // Ratis hands over entries read back from its log (a replay) without their payload
                batches = payloads.read(index);
            }
            ops = DataEntry.decode(smEntry.getLogData(), batches);
        } catch (IOException | RuntimeException e) {
            LOG.error("data group {}: undecodable entry {} skipped", group.groupNo(), index, e);
            updateLastAppliedTermIndex(entry.getTerm(), index);
            return CompletableFuture.completedFuture(Message.EMPTY);
        }
        long origin = localServer.origin();
        OpResult[] outcomes = new OpResult[ops.size()];
        for (int i = 0; i < outcomes.length; i++) {
            outcomes[i] = apply(ops.get(i), index, epoch);
        }
        // the applied index covers an append before its producer hears of it, so a checkpoint taken by anyone
        // who saw the acknowledgement includes the entry
        updateLastAppliedTermIndex(entry.getTerm(), index);
        for (int i = 0; i < outcomes.length; i++) {
            DataEntry.Op op = ops.get(i);
            if (op.origin() == origin) {
                group.appender().complete(op.id(), outcomes[i]);
            }
        }
        if (ops.size() == 1 && ops.get(0).origin() == MoveReply.REMOTE_ORIGIN) {
            return CompletableFuture.completedFuture(MoveReply.encode(outcomes[0])); // to a move's Raft client
        }
        return CompletableFuture.completedFuture(Message.EMPTY);
    }

    private OpResult apply(DataEntry.Op op, long index, int epoch) {
        PartitionReplica r;
        try {
            r = group.replicaForApply(op.topicId(), op.topic(), op.partition(), DataEntry.isCopy(op.type()) ? op.value() : -1);
        } catch (ConsensusException e) {
            return new OpResult.Failed(e);
        }
        if (r == null) {
            return new OpResult.Failed(new ConsensusException(Reason.UNKNOWN_TOPIC, "topic " + op.topic() + " was deleted"));
        }
        if (index <= r.checkpointIndex) {
            skippedOps.incrementAndGet();
            return new OpResult.AlreadyApplied();
        }
        appliedOps.incrementAndGet();
        try {
            switch (op.type()) {
                case DataEntry.APPEND:
                    return new OpResult.Appended(r.applyAppend(op.payloadBuffer(), epoch + r.epochBase(), op.value()));
                case DataEntry.DELETE_RECORDS:
                    return new OpResult.RecordsDeleted(r.applyDeleteRecords(op.value()));
                case DataEntry.FENCE:
                    return new OpResult.Moved(r.applyFence(op.value()));
                case DataEntry.UNFENCE:
                    return new OpResult.Moved(r.applyUnfence(op.value()));
                case DataEntry.COPY_START: {
                    ByteBuffer start = op.payloadBuffer();
                    return new OpResult.Moved(r.applyCopyStart(start.getLong(start.position()), index, epoch));
                }
                case DataEntry.COPY:
                    return new OpResult.Moved(r.applyCopy(op.payloadBuffer()));
                case DataEntry.COPY_SEAL: {
                    ByteBuffer seal = op.payloadBuffer();
                    return new OpResult.Moved(r.applySeal(seal.getLong(seal.position()), seal.getInt(seal.position() + 8)));
                }
                default:
                    return new OpResult.Failed(new ConsensusException(Reason.INVALID_REQUEST, "unknown operation " + op.type()));
            }
        } catch (ConsensusException e) {
            return new OpResult.Failed(e);
        } catch (RuntimeException e) {
            LOG.error("applying entry {} to {} failed", index, r.key(), e);
            return new OpResult.Failed(new ConsensusException(Reason.STORAGE, String.valueOf(e.getMessage()), -1, e));
        }
    }

    @Override
    public long takeSnapshot() throws IOException {
        TermIndex last = getLastAppliedTermIndex();
        if (last == null || last.getIndex() < 0) {
            return -1;
        }
        long started = System.nanoTime();
        String name = SnapshotMetrics.dataGroup(group.groupNo());
        DataSnapshotStorage.DataSnapshot snapshot;
        try {
            snapshot = storage.take(group.groupNo(), last, group.replicas());
        } catch (IOException | RuntimeException e) {
            localServer.snapshotMetrics().failed(name);
            throw e;
        }
        localServer.snapshotMetrics().taken(name, last.getIndex(), snapshot.manifest().bytes(), System.nanoTime() - started);
        LOG.debug("data group {}: snapshot at {}", group.groupNo(), last);
        localServer.snapshotArchiver().snapshotTaken(group.groupNo(), snapshot);
        // payloads of entries Ratis has purged from its log (it purges after a snapshot, so this trails by one)
        RaftServer.Division division = group.division();
        if (division != null) {
            payloads.purgeBelow(division.getRaftLog().getStartIndex());
        }
        return last.getIndex();
    }

    /** ReadIndex reads: the barrier itself is the read (Ratis calls this once the replica caught up). */
    @Override
    public CompletableFuture<Message> query(Message request) {
        return CompletableFuture.completedFuture(Message.EMPTY);
    }

    @Override
    public void notifyLeaderChanged(RaftGroupMemberId groupMemberId, RaftPeerId newLeaderId) {
        localServer.raftMetrics().leaderChanged(group.groupId());
        leaders.leaderChanged(group, newLeaderId);
    }

    /** The leader appends a client write entry (produce requests and partition operations) to its log: counted. */
    @Override
    public TransactionContext preAppendTransaction(TransactionContext trx) throws IOException {
        localServer.raftMetrics().leaderAppended(group.groupId());
        return super.preAppendTransaction(trx);
    }

    @Override
    public void close() throws IOException {
        super.close();
        PayloadLog p = payloads;
        if (p != null) {
            p.close();
        }
        group.closed();
    }
}
