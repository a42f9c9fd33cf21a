package io.chronik.raft.internal;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The metadata leader's record of broker sessions, KRaft's broker heartbeat manager in small: when each broker's
 * last heartbeat arrived and how far it had applied the metadata. Held in memory only, never in the Raft log: a
 * heartbeat costs no entry, only the fencing and unfencing it leads to do ({@link #due}).
 *
 * <p>A new leader knows no heartbeats; it counts every session from the moment it took over ({@link #leading}), so
 * that each broker gets a full session timeout before the new leader fences it.
 *
 * <p>Thread-safe: heartbeats arrive on Ratis' threads, {@link #due} runs on the node's scheduler. Times are
 * {@link System#nanoTime()} values the caller passes in, so that tests drive the clock.
 */
final class BrokerSessions {
    private static final byte HEARTBEAT = 1;

    /** A broker's last heartbeat. */
    record Heartbeat(long atNanos, long appliedIndex) {
    }

    private final long timeoutNanos;
    private final Map<Integer, Heartbeat> heartbeats = new ConcurrentHashMap<>();
    /** The term in which this node leads the metadata group, or -1. */
    private volatile long leaderTerm = -1;
    private volatile long leadingSinceNanos;

    BrokerSessions(long sessionTimeoutMs) {
        this.timeoutNanos = sessionTimeoutMs * 1_000_000L;
    }

    /** This node leads the metadata group in {@code term} (called on every tick; a new term restarts every session). */
    void leading(long term, long nowNanos) {
        if (term != leaderTerm) {
            heartbeats.clear();
            leadingSinceNanos = nowNanos;
            leaderTerm = term;
        }
    }

    /** This node does not lead the metadata group. */
    void following() {
        leaderTerm = -1;
    }

    boolean isLeading() {
        return leaderTerm >= 0;
    }

    /** Records a heartbeat of {@code nodeId}, which has applied the metadata up to {@code appliedIndex}. */
    void heartbeat(int nodeId, long appliedIndex, long nowNanos) {
        heartbeats.put(nodeId, new Heartbeat(nowNanos, appliedIndex));
    }

    /**
     * The fencing and unfencing that {@code state} needs at {@code nowNanos}: a broker other than {@code self} whose
     * last heartbeat (or this leader's start, if later) is older than the session timeout is fenced; a fenced broker
     * whose heartbeat is recent and that has applied the entry that fenced it is unfenced. Empty unless leading.
     */
    List<MetaCommand> due(MetadataState state, int self, long nowNanos) {
        List<MetaCommand> due = new ArrayList<>();
        if (!isLeading()) {
            return due;
        }
        for (MetadataState.Broker b : state.brokers.values()) {
            Heartbeat h = heartbeats.get(b.nodeId());
            if (!b.fenced()) {
                long last = h == null ? leadingSinceNanos : Math.max(h.atNanos(), leadingSinceNanos);
                if (b.nodeId() != self && nowNanos - last > timeoutNanos) {
                    due.add(new MetaCommand.FenceBroker(b.nodeId()));
                }
            } else if (h != null && nowNanos - h.atNanos() <= timeoutNanos && h.appliedIndex() >= b.fencedAt()) {
                due.add(new MetaCommand.UnfenceBroker(b.nodeId(), h.appliedIndex()));
            }
        }
        return due;
    }

    /** The query message of a heartbeat. */
    static byte[] encodeHeartbeat(int nodeId, long appliedIndex) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(16);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(HEARTBEAT);
            out.writeInt(nodeId);
            out.writeLong(appliedIndex);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /**
     * Records the heartbeat in a query message.
     *
     * @throws IOException if the message is not a heartbeat
     */
    void receive(DataInputStream in, long nowNanos) throws IOException {
        byte type = in.readByte();
        if (type != HEARTBEAT) {
            throw new IOException("unknown metadata query " + type);
        }
        int nodeId = in.readInt();
        heartbeat(nodeId, in.readLong(), nowNanos);
    }
}
