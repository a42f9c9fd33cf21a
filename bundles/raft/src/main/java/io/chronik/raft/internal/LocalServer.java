package io.chronik.raft.internal;

import java.io.IOException;
import java.util.concurrent.ScheduledExecutorService;

import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;

/**
 * What the parts of a node (its data groups, state machines, metadata writer and reconciler) need of the node's
 * Ratis server: its identity and settings, the running server, and the node's scheduler. {@link ChronikNode}
 * implements it; it owns the server's lifecycle. All methods are non-blocking and thread-safe.
 */
interface LocalServer {

    NodeSettings settings();

    /**
     * Random for each run of the node: the entries this run submits carry it, so that only their outcomes complete
     * local requests (a replayed entry of an earlier run completes nothing).
     */
    long origin();

    RaftPeerId peerId();

    /** The running server, or null before it started and after it stopped. */
    RaftServer serverOrNull();

    /** The running server. @throws IOException if it is not running */
    default RaftServer server() throws IOException {
        RaftServer s = serverOrNull();
        if (s == null) {
            throw new IOException("the Raft server of node " + settings().nodeId() + " is not running");
        }
        return s;
    }

    /**
     * A request of the node's metadata client {@code client} failed with {@code failure}: replaces the client if
     * Ratis closed it for good ({@link ChronikNode#metadataRequestFailed}). Never throws.
     */
    void metadataRequestFailed(org.apache.ratis.client.RaftClient client, Throwable failure);

    /** The node's ReadIndex counters, which every data group's {@link ReadIndexRounds} adds to. */
    ReadIndexMetrics readIndexMetrics();

    /** The node's snapshot counters, which every group's state machine adds to. */
    SnapshotMetrics snapshotMetrics();

    /** The node's Raft counters (elections, log entries, append latency, ISR changes), which its parts add to. */
    RaftMetrics raftMetrics();

    /** The node's scheduler for retries and polls; shut down (rejecting tasks) when the node stops. */
    ScheduledExecutorService scheduler();

    /** Where the data groups' snapshots are archived (the object store), or {@link SnapshotArchiver#NONE}. */
    default SnapshotArchiver snapshotArchiver() {
        return SnapshotArchiver.NONE;
    }

    /** Whether the node is stopping (or stopped): retries and waits give up. */
    boolean isStopping();

    /**
     * Whether this node's session with the metadata group is current (see {@link Liveness#inSession}); a node out of
     * session describes itself as fenced.
     */
    default boolean inSession() {
        return true;
    }

    /** The node id of the metadata group's leader as this node knows it, or -1. */
    default int metadataLeader() {
        RaftServer s = serverOrNull();
        if (s == null) {
            return -1;
        }
        try {
            RaftServer.Division d = s.getDivision(Ids.METADATA_GROUP);
            return d.getInfo().isLeader() ? settings().nodeId() : Ids.nodeId(d.getInfo().getLeaderId());
        } catch (IOException e) {
            return -1;
        }
    }
}
