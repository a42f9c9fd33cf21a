package io.chronik.raft.internal;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Function;

import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.consensus.ConsensusException.Reason;

/**
 * The metadata group's state machine: applies {@link MetaCommand}s to the {@link MetadataState}, and snapshots the
 * whole (small) state into one file.
 */
final class MetadataStateMachine extends BaseStateMachine {
    private static final Logger LOG = LoggerFactory.getLogger(MetadataStateMachine.class);

    /** Told about changes, on the apply thread. */
    interface Listener {
        /** A state was loaded from a snapshot taken at {@code index} (start, or installed from the leader). */
        void loaded(MetadataState state, long index);

        /** An entry was applied. */
        void applied(MetadataState before, MetadataState after, MetaCommand command, long index);

        void leaderChanged(RaftPeerId leader);
    }

    private final SnapshotMarkerStorage storage = new SnapshotMarkerStorage();
    private volatile SnapshotMetrics snapshotMetrics;
    private volatile RaftMetrics raftMetrics;
    /** When the snapshot being installed started arriving ({@link #pause}), or 0. */
    private volatile long installStartedNanos;
    private volatile Listener listener;
    private volatile Function<Message, CompletableFuture<Message>> queries =
            q -> CompletableFuture.failedFuture(new IOException("no metadata queries yet"));
    private volatile MetadataState state = MetadataState.EMPTY;
    private final ConcurrentSkipListMap<Long, CompletableFuture<Void>> waiters = new ConcurrentSkipListMap<>();

    /** Told about every snapshot taken (on the updater: must not block); see {@link SnapshotArchiver}. */
    private volatile java.util.function.BiConsumer<TermIndex, Path> snapshotTaken = (at, file) -> { };

    void onSnapshotTaken(java.util.function.BiConsumer<TermIndex, Path> listener) {
        this.snapshotTaken = listener;
    }

    /** Sets the listener; called once, before the server starts (so before anything is loaded or applied). */
    void setListener(Listener listener) {
        this.listener = listener;
    }

    /** Sets what answers read-only queries (broker heartbeats, see {@link Liveness}); called once, before the server starts. */
    void setQueryHandler(Function<Message, CompletableFuture<Message>> handler) {
        this.queries = handler;
    }

    @Override
    public CompletableFuture<Message> query(Message request) {
        return queries.apply(request);
    }

    MetadataState state() {
        return state;
    }

    @Override
    public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
        super.initialize(server, groupId, raftStorage);
        // a division restarted in this node (MetadataMembership) reloads from its snapshot and replays the log after
        // it: start from the empty state, as Ratis' applied index starts from the snapshot's
        state = MetadataState.EMPTY;
        setLastAppliedTermIndex(null);
        storage.init(raftStorage);
        load();
        MachineLifecycle.running(this);
    }

    /** Ratis is about to write a snapshot from the leader: nothing is applied until {@link #reinitialize}. */
    @Override
    public void pause() {
        if (installStartedNanos == 0) {
            installStartedNanos = System.nanoTime();
        }
        MachineLifecycle.paused(this);
    }

    /** Where the snapshots taken and installed are counted; set once before the server starts. */
    void setSnapshotMetrics(SnapshotMetrics metrics) {
        this.snapshotMetrics = metrics;
    }

    /** Sets where leader changes and the leader's appends are counted; called once, before the server starts. */
    void setRaftMetrics(RaftMetrics metrics) {
        this.raftMetrics = metrics;
    }

    /** Ratis installed a snapshot from the leader (this replica was behind the leader's log): load it. */
    @Override
    public void reinitialize() throws IOException {
        load();
        SingleFileSnapshotInfo installed = storage.getLatestSnapshot();
        SnapshotMetrics m = snapshotMetrics;
        if (m != null && installed != null) {
            m.installed(SnapshotMetrics.METADATA, installed.getIndex(), installed.getFile().getFileSize(),
                    System.nanoTime() - installStartedNanos);
        }
        installStartedNanos = 0;
        MachineLifecycle.running(this);
    }

    private void load() throws IOException {
        SingleFileSnapshotInfo snapshot = storage.loadLatestSnapshot();
        if (snapshot == null) {
            return;
        }
        Path file = snapshot.getFile().getPath();
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
            state = MetadataSnapshotCodec.read(new DataInputStream(in));
        }
        setLastAppliedTermIndex(snapshot.getTermIndex());
        LOG.info("metadata loaded from snapshot {}: {} brokers, {} topics", snapshot.getTermIndex(), state.brokers.size(),
                state.topics.size());
        listener.loaded(state, snapshot.getIndex());
        completeWaiters(snapshot.getIndex());
    }

    @Override
    public StateMachineStorage getStateMachineStorage() {
        return storage;
    }

    @Override
    public SingleFileSnapshotInfo getLatestSnapshot() {
        return storage.getLatestSnapshot();
    }

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        LogEntryProto entry = trx.getLogEntry();
        MetaResult result;
        MetaCommand command = null;
        try {
            command = MetaCommand.decode(entry.getStateMachineLogEntry().getLogData().toByteArray());
        } catch (IOException | RuntimeException e) {
            LOG.error("undecodable metadata entry {}", entry.getIndex(), e);
        }
        MetadataState before = state;
        if (command == null) {
            result = MetaResult.fail(Reason.INVALID_REQUEST, "undecodable metadata entry");
        } else {
            MetaCommand.Applied applied = command.apply(before, entry.getIndex());
            state = applied.state();
            result = applied.result();
        }
        updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
        if (command != null && result.tookEffect()) {
            try {
                listener.applied(before, state, command, entry.getIndex());
            } catch (RuntimeException e) {
                LOG.error("applying the local effects of metadata entry {} failed", entry.getIndex(), e);
            }
        }
        completeWaiters(entry.getIndex());
        return CompletableFuture.completedFuture(Message.valueOf(ByteString.copyFrom(result.encode())));
    }

    @Override
    public void notifyTermIndexUpdated(long term, long index) {
        super.notifyTermIndexUpdated(term, index);
        completeWaiters(index);
    }

    @Override
    public long takeSnapshot() throws IOException {
        TermIndex last = getLastAppliedTermIndex();
        if (last == null || last.getIndex() < 0) {
            return -1;
        }
        long started = System.nanoTime();
        MetadataState s = state;
        File target = storage.getSnapshotFile(last.getTerm(), last.getIndex());
        Path tmp = target.toPath().resolveSibling(target.getName() + ".tmp");
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp)))) {
            MetadataSnapshotCodec.write(s, out);
        }
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.move(tmp, target.toPath(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        storage.updateLatestSnapshot(new SingleFileSnapshotInfo(new FileInfo(target.toPath(), null), last));
        LOG.debug("metadata snapshot at {}", last);
        SnapshotMetrics m = snapshotMetrics;
        if (m != null) {
            m.taken(SnapshotMetrics.METADATA, last.getIndex(), Files.size(target.toPath()), System.nanoTime() - started);
        }
        snapshotTaken.accept(last, target.toPath());
        return last.getIndex();
    }

    @Override
    public void notifyLeaderChanged(RaftGroupMemberId groupMemberId, RaftPeerId newLeaderId) {
        RaftMetrics m = raftMetrics;
        if (m != null) {
            m.leaderChanged(Ids.METADATA_GROUP);
        }
        listener.leaderChanged(newLeaderId);
    }

    /** The leader appends a client write entry (a metadata command) to its log: counted. */
    @Override
    public TransactionContext preAppendTransaction(TransactionContext trx) throws IOException {
        RaftMetrics m = raftMetrics;
        if (m != null) {
            m.leaderAppended(Ids.METADATA_GROUP);
        }
        return super.preAppendTransaction(trx);
    }

    /** Completes once this replica has applied (at least) {@code index}. */
    CompletableFuture<Void> awaitApplied(long index) {
        TermIndex last = getLastAppliedTermIndex();
        if (last != null && last.getIndex() >= index) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> f = waiters.computeIfAbsent(index, i -> new CompletableFuture<>());
        last = getLastAppliedTermIndex();
        if (last != null && last.getIndex() >= index) {
            completeWaiters(last.getIndex());
        }
        return f;
    }

    private void completeWaiters(long appliedIndex) {
        if (waiters.isEmpty()) {
            return;
        }
        var head = waiters.headMap(appliedIndex, true);
        while (!head.isEmpty()) {
            var e = head.pollFirstEntry();
            if (e == null) {
                break;
            }
            e.getValue().complete(null);
        }
    }
}
