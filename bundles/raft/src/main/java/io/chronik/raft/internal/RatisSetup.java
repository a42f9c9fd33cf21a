package io.chronik.raft.internal;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.util.ExitUtils;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;

/** The Ratis properties of a node; every choice is explained where it is made. */
final class RatisSetup {
    /** Room for the length and checksum Ratis writes around an entry, and for our entry header. */
    private static final int ENTRY_OVERHEAD = 64 * 1024;

    private RatisSetup() {
    }

    /**
     * Stops Ratis from ending the JVM. Ratis' gRPC server calls {@code System.exit(1)} when it cannot bind its port,
     * and the first such call installs a JVM-wide default uncaught-exception handler that exits on any thread's
     * uncaught exception. A bundle must never end the framework's JVM (nor a test's: an exit from inside a test
     * run can hang the build in shutdown hooks): with exits disabled, the failed bind fails the node's start with
     * Ratis' {@link ExitUtils.ExitException}. The default handler that was there before is put back. Idempotent.
     */
    static synchronized void neverExitTheJvm() {
        Thread.UncaughtExceptionHandler before = Thread.getDefaultUncaughtExceptionHandler();
        ExitUtils.disableSystemExit(); // initialises Ratis' exit state, which installs its handler
        ExitUtils.setTerminateOnUncaughtException(false);
        Thread.setDefaultUncaughtExceptionHandler(before);
    }

    static RaftProperties properties(NodeSettings s) {
        return properties(s, true);
    }

    /** @param snapshotOnStop false only in tests simulating a crash (no checkpoint at shutdown) */
    static RaftProperties properties(NodeSettings s, boolean snapshotOnStop) {
        RaftProperties p = new RaftProperties();
        // Never the default (/tmp/raft-server): Raft storage lives under <data.dir>/raft.
        RaftServerConfigKeys.setStorageDir(p, List.of(s.raftDir().toFile()));

        // Election timeouts (default 500-1000 ms) above Ratis' 150-300 ms: a node carries up to division.budget
        // divisions whose heartbeats (every half minimum timeout) are not coalesced; GC pauses and a loaded 2-core
        // machine must not cause election churn. They bound the failover time: Ratis' follower sleeps a random
        // timeout and then checks whether the leader was silent that long, so it notices a dead leader one to two
        // timeouts after its last heartbeat (1000-2000 ms gave a 2.8 s median failover, 500-1000 ms 1.6 s; see
        // PERFORMANCE.md "Failover time"). The first election after start is quicker so that a (single) node is
        // ready soon after start.
        RaftServerConfigKeys.Rpc.setTimeoutMin(p, TimeDuration.valueOf(s.electionTimeoutMinMs(), TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Rpc.setTimeoutMax(p, TimeDuration.valueOf(s.electionTimeoutMaxMs(), TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMin(p, TimeDuration.valueOf(
                Math.max(50, s.electionTimeoutMinMs() / 5), TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMax(p, TimeDuration.valueOf(
                Math.max(100, s.electionTimeoutMinMs() / 2), TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Rpc.setRequestTimeout(p, TimeDuration.valueOf(
                Math.max(3000, s.electionTimeoutMaxMs() * 2), TimeUnit.MILLISECONDS));

        // Entry size: one entry batches many produce requests of a group, up to raft.entry.max.bytes. Ratis caps
        // an entry at the appender buffer limit, and the write buffer (one direct buffer per division!) must hold
        // the largest entry plus framing. 2 MiB entries keep 64 divisions at ~130 MB direct memory instead of
        // the 512 MB that Ratis' default 8 MB buffer would cost, and still amortise an fsync over MBs of data.
        RaftServerConfigKeys.Log.Appender.setBufferByteLimit(p, SizeInBytes.valueOf(s.maxEntryBytes() + ENTRY_OVERHEAD / 2));
        RaftServerConfigKeys.Log.setWriteBufferSize(p, SizeInBytes.valueOf(s.maxEntryBytes() + ENTRY_OVERHEAD));

        // Segments: small enough to be purged soon after a snapshot, large enough not to roll constantly. The log
        // cache keeps entries in the heap for lagging followers: bound it per division.
        RaftServerConfigKeys.Log.setSegmentSizeMax(p, SizeInBytes.valueOf(s.raftSegmentSizeBytes()));
        RaftServerConfigKeys.Log.setPreallocatedSize(p, SizeInBytes.valueOf(Math.min(4L << 20, s.raftSegmentSizeBytes())));
        RaftServerConfigKeys.Log.setSegmentCacheNumMax(p, 2);
        RaftServerConfigKeys.Log.setSegmentCacheSizeMax(p, SizeInBytes.valueOf(2 * s.raftSegmentSizeBytes()));

        // Flush policy (see FlushPolicy). In both modes the log worker writes every queued entry before flushing
        // once, so concurrent entries share one fsync (group commit); force.sync.num bounds the batch.
        switch (s.flushPolicy()) {
            case RAFT -> {
                RaftServerConfigKeys.Log.setUnsafeFlushEnabled(p, false);
                RaftServerConfigKeys.Log.setAsyncFlushEnabled(p, false);
            }
            case OS -> {
                RaftServerConfigKeys.Log.setUnsafeFlushEnabled(p, true);
                RaftServerConfigKeys.Log.setAsyncFlushEnabled(p, false);
            }
        }
        RaftServerConfigKeys.Log.setForceSyncNum(p, 128);
        // The payloads (PayloadLog, Ratis' state machine data) are forced on a thread of their own while the log
        // worker forces the Raft log, instead of one fsync after the other: with sync on (Ratis' default) the worker
        // waits for the payloads' flush before it starts its own; off, it forces its log first and then waits for the
        // payloads, and still counts an entry as flushed only once both are done. (PayloadLog stores a payload before
        // Ratis queues its entry, so nothing waits on a payload write either way.)
        RaftServerConfigKeys.Log.StateMachineData.setSync(p, false);

        // Snapshots = checkpoints of the partition logs (fsync of segments + checkpoint file); after one, Ratis
        // purges its log up to the snapshot. Triggered every snapshot.log.threshold entries, and on stop so
        // that a restart resumes from local state instead of replaying the Raft log.
        RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
        RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, s.snapshotThresholdEntries());
        RaftServerConfigKeys.Snapshot.setTriggerWhenStopEnabled(p, snapshotOnStop);
        RaftServerConfigKeys.Snapshot.setCreationGap(p, Math.min(1024, Math.max(1, s.snapshotThresholdEntries() / 2)));
        RaftServerConfigKeys.Snapshot.setRetentionFileNum(p, 2);
        RaftServerConfigKeys.Log.setPurgeGap(p, (int) Math.min(1024, Math.max(1, s.snapshotThresholdEntries() / 2)));
        // Purge up to the snapshot even if a follower is behind it: snapshots carry the data (DataSnapshotStorage,
        // the metadata's snapshot file), so such a follower catches up by installing the leader's snapshot and then
        // the log tail, and one slow or dead replica cannot make the leader's log grow without bound.
        RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, true);
        // ... but keep a snapshot interval's worth of entries below it, so that a follower only briefly behind (a
        // restart, a pause) catches up from the log instead of receiving every partition's files.
        RaftServerConfigKeys.Log.setPurgePreservationLogNum(p, s.snapshotThresholdEntries());

        // Follower reads go through ReadIndex (PartitionLog.readBarrier).
        RaftServerConfigKeys.Read.setOption(p, RaftServerConfigKeys.Read.Option.LINEARIZABLE);
        return p;
    }
}
