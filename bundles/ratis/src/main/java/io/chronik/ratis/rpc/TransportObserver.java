package io.chronik.ratis.rpc;

import org.apache.ratis.conf.Parameters;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * What a Raft transport reports about its traffic, so that every transport's metrics look the same. The consensus
 * provider puts an observer into the {@link Parameters} given to {@link RaftTransport#newFactory} under {@link #KEY};
 * the transport reads it with {@link #of} (none there: {@link #NONE}) and calls it for the server-to-server traffic
 * it carries (client requests too where it carries them).
 *
 * <p>{@code peer} is the other side's Raft peer id ({@code RaftPeerId#toString()}) where the transport knows it,
 * else its address; a transport must not invent unbounded label values (one per connection or per request).
 * {@code bytes} is the size of the message as the transport carries it (its serialized protobuf at least).
 *
 * <p><b>Threads.</b> Implementations are thread-safe, never block and never throw: transports call them on their
 * network threads.
 */
@ConsumerType
public interface TransportObserver {

    /** The {@link Parameters} key of the observer. */
    String KEY = "io.chronik.ratis.rpc.observer";

    /** The kinds of Raft RPC, as metrics label them. */
    enum Kind {
        /** Append entries, heartbeats included. */
        APPEND,
        /** Request vote (pre-vote included). */
        VOTE,
        /** Install snapshot (chunks or notification). */
        SNAPSHOT,
        /** A follower's ReadIndex request to its leader. */
        READ_INDEX,
        /** Start leader election (leadership transfer). */
        ELECTION,
        /** Client requests (writes, reads, watches) and admin requests (group management, configuration). */
        CLIENT;

        /** The label value: lower case. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** A request or reply of {@code bytes} bytes left for {@code peer}. */
    void sent(String peer, Kind kind, long bytes);

    /** A request or reply of {@code bytes} bytes arrived from {@code peer}. */
    void received(String peer, Kind kind, long bytes);

    /**
     * A request this node sent to {@code peer} completed after {@code nanos}: answered ({@code error} null) or failed
     * ({@code error}: timeout, refused, or the exception the peer answered with).
     */
    void completed(String peer, Kind kind, long nanos, Throwable error);

    /** The transport opened a connection (or the equivalent) to {@code peer}. */
    void connected(String peer);

    /** The transport closed its connection to {@code peer}. */
    void disconnected(String peer);

    /** An observer that ignores everything. */
    TransportObserver NONE = new TransportObserver() {
        @Override
        public void sent(String peer, Kind kind, long bytes) {
        }

        @Override
        public void received(String peer, Kind kind, long bytes) {
        }

        @Override
        public void completed(String peer, Kind kind, long nanos, Throwable error) {
        }

        @Override
        public void connected(String peer) {
        }

        @Override
        public void disconnected(String peer) {
        }
    };

    /** The observer in {@code parameters}, or {@link #NONE}. */
    static TransportObserver of(Parameters parameters) {
        TransportObserver o = parameters == null ? null : parameters.get(KEY, TransportObserver.class);
        return o == null ? NONE : o;
    }
}
