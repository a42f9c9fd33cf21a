package io.chronik.raft.internal;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.nio.channels.ClosedChannelException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

import org.apache.ratis.protocol.exceptions.AlreadyClosedException;
import org.apache.ratis.protocol.exceptions.RaftException;
import org.apache.ratis.protocol.exceptions.TimeoutIOException;

import io.chronik.api.metrics.MetricSink;
import io.chronik.api.metrics.MetricSource;
import io.chronik.metrics.recorder.DurationHistogram;
import io.chronik.ratis.rpc.TransportObserver;
import io.chronik.ratis.rpc.TransportObserver.Kind;

/**
 * The Raft traffic of one node as its transports report it ({@link TransportObserver}), as a {@link MetricSource}
 * labelled {@code node_id}, {@code transport} (the transport's name: {@code grpc}, {@code memory}), {@code peer} (the
 * other node's Raft peer id, such as {@code n2}) and, where it applies, {@code kind} ({@link Kind#label()}:
 * {@code append}, {@code vote}, {@code snapshot}, {@code read_index}, {@code election}, {@code client}):
 * <ul>
 * <li>{@code chronik_raft_transport_messages_sent_total}, {@code chronik_raft_transport_sent_bytes_total}: requests and
 * replies that left for the peer, and their bytes;</li>
 * <li>{@code chronik_raft_transport_messages_received_total}, {@code chronik_raft_transport_received_bytes_total}:
 * requests and replies that arrived from the peer, and their bytes;</li>
 * <li>{@code chronik_raft_transport_rpc_duration_seconds}: histogram of the latency of the requests this node sent to
 * the peer, from sent to answered or failed (failed ones included; 0.5 ms to 5 s buckets);</li>
 * <li>{@code chronik_raft_transport_rpc_errors_total}: those requests that failed, with the label {@code error}: one
 * of {@code timeout} (no answer in time), {@code unavailable} (no connection, connection closed or refused),
 * {@code rejected} (the peer answered with a Raft exception: not ready, not leader ...) and {@code other};</li>
 * <li>{@code chronik_raft_transport_connections}: gauge of the transport's open connections to or from the peer (as
 * the transport counts them: see docs/operations.md), without {@code kind}; written only for the peers of which the
 * transport reported connections.</li>
 * </ul>
 * A series appears once its first event is reported. The object outlives the node's restarts (a transport swap
 * restarts the node): {@link RaftComponent} keeps one per component and the counters go on; each transport reports
 * through its own {@link #observer}, so a swap starts series with the new transport's label.
 *
 * <p>Label values are bounded: a transport may report at most {@value #MAX_PEERS} distinct peers (peer ids are bounded
 * by the cluster's size; a transport that reported per-connection names would otherwise grow the exposition without
 * bound); further ones are counted under the peer {@value #OTHER_PEER}. A null peer is {@value #UNKNOWN_PEER}.
 *
 * <p><b>Threads.</b> Thread-safe. The observer methods never block and never throw (transports call them on their
 * network threads): the first event of a new peer or kind allocates its counters, later ones only add to them.
 * {@link #collect} only reads counters.
 */
final class TransportMetrics implements MetricSource {
    /** The most distinct peers one transport may report. */
    static final int MAX_PEERS = 256;
    static final String OTHER_PEER = "other";
    static final String UNKNOWN_PEER = "unknown";
    /** The {@code error} label values. */
    static final String TIMEOUT = "timeout";
    static final String UNAVAILABLE = "unavailable";
    static final String REJECTED = "rejected";
    static final String OTHER_ERROR = "other";

    private static final Kind[] KINDS = Kind.values();

    private final String nodeId;
    private final Map<String, Transport> transports = new ConcurrentHashMap<>();

    TransportMetrics(int nodeId) {
        this.nodeId = Integer.toString(nodeId);
    }

    /** The observer a transport named {@code transport} reports to (the same one for the same name). */
    TransportObserver observer(String transport) {
        return transports.computeIfAbsent(transport == null ? "unknown" : transport, Transport::new);
    }

    /**
     * The traffic counted for one peer and kind, in this order: messages sent, bytes sent, messages received, bytes
     * received, requests completed (answered or failed), requests failed.
     */
    long[] counts(String transport, String peer, Kind kind) {
        Transport t = transports.get(transport);
        Peer p = t == null ? null : t.peers.get(peer);
        Traffic k = p == null ? null : p.kinds.get(kind.ordinal());
        if (k == null) {
            return new long[6];
        }
        long errors = k.errors.values().stream().mapToLong(LongAdder::sum).sum();
        return new long[] {k.sent.sum(), k.sentBytes.sum(), k.received.sum(), k.receivedBytes.sum(),
            k.duration.count(), errors};
    }

    /** The open connections counted for one peer. */
    long connections(String transport, String peer) {
        Transport t = transports.get(transport);
        Peer p = t == null ? null : t.peers.get(peer);
        return p == null ? 0 : Math.max(0, p.connections.get());
    }

    /** The {@code error} label of a failure: a bounded set of classes, found along the cause chain. */
    static String errorClass(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof TimeoutException || t instanceof TimeoutIOException || t instanceof SocketTimeoutException) {
                return TIMEOUT;
            }
            if (t instanceof ConnectException || t instanceof NoRouteToHostException
                    || t instanceof ClosedChannelException || t instanceof AlreadyClosedException) {
                return UNAVAILABLE;
            }
            String status = grpcStatus(t);
            if (status != null) {
                switch (status) {
                    case "DEADLINE_EXCEEDED":
                        return TIMEOUT;
                    case "UNAVAILABLE":
                    case "CANCELLED":
                        return UNAVAILABLE;
                    default:
                        break; // an exception the peer answered with is its cause, if the transport kept it
                }
            }
            if (t instanceof RaftException) {
                return REJECTED;
            }
        }
        return OTHER_ERROR;
    }

    /**
     * The status code of a gRPC {@code StatusRuntimeException} or {@code StatusException} (shaded or not), which name
     * it first in their message ({@code "UNAVAILABLE: io exception"}); null for any other throwable.
     */
    private static String grpcStatus(Throwable t) {
        String name = t.getClass().getSimpleName();
        if (!name.equals("StatusRuntimeException") && !name.equals("StatusException")) {
            return null;
        }
        String m = t.getMessage();
        if (m == null) {
            return null;
        }
        int colon = m.indexOf(':');
        return colon < 0 ? m : m.substring(0, colon);
    }

    @Override
    public void collect(MetricSink sink) {
        MetricSink.Family sent = sink.family("chronik_raft_transport_messages_sent",
                "Raft requests and replies sent to the peer", MetricSink.Type.COUNTER, "node_id", "transport", "peer", "kind");
        MetricSink.Family received = sink.family("chronik_raft_transport_messages_received",
                "Raft requests and replies received from the peer", MetricSink.Type.COUNTER, "node_id", "transport",
                "peer", "kind");
        MetricSink.Family sentBytes = sink.family("chronik_raft_transport_sent_bytes",
                "Bytes of the Raft messages sent to the peer (serialized size)", MetricSink.Type.COUNTER, "node_id",
                "transport", "peer", "kind");
        MetricSink.Family receivedBytes = sink.family("chronik_raft_transport_received_bytes",
                "Bytes of the Raft messages received from the peer (serialized size)", MetricSink.Type.COUNTER,
                "node_id", "transport", "peer", "kind");
        MetricSink.Family errors = sink.family("chronik_raft_transport_rpc_errors",
                "Raft requests sent to the peer that failed, by error class", MetricSink.Type.COUNTER, "node_id",
                "transport", "peer", "kind", "error");
        MetricSink.Family connections = sink.family("chronik_raft_transport_connections",
                "Open transport connections to or from the peer", MetricSink.Type.GAUGE, "node_id", "transport", "peer");
        MetricSink.Histogram duration = sink.histogram("chronik_raft_transport_rpc_duration_seconds",
                "Latency of Raft requests sent to the peer, until answered or failed", DurationHistogram.latency()
                        .upperBoundsSeconds(), "node_id", "transport", "peer", "kind");
        transports.forEach((name, t) -> t.peers.forEach((peer, p) -> {
            if (p.connectionEvents) {
                connections.sample(Math.max(0, p.connections.get()), nodeId, name, peer);
            }
            for (Kind kind : KINDS) {
                Traffic k = p.kinds.get(kind.ordinal());
                if (k == null) {
                    continue;
                }
                String label = kind.label();
                sent.sample(k.sent.sum(), nodeId, name, peer, label);
                sentBytes.sample(k.sentBytes.sum(), nodeId, name, peer, label);
                received.sample(k.received.sum(), nodeId, name, peer, label);
                receivedBytes.sample(k.receivedBytes.sum(), nodeId, name, peer, label);
                k.errors.forEach((error, n) -> errors.sample(n.sum(), nodeId, name, peer, label, error));
                DurationHistogram h = k.duration;
                if (h.count() > 0) {
                    h.writeTo(duration, nodeId, name, peer, label);
                }
            }
        }));
    }

    /** One transport's counters, and its observer. */
    private static final class Transport implements TransportObserver {
        final String name;
        final Map<String, Peer> peers = new ConcurrentHashMap<>();

        Transport(String name) {
            this.name = name;
        }

        private Peer peer(String id) {
            String key = id == null ? UNKNOWN_PEER : id;
            Peer p = peers.get(key);
            if (p != null) {
                return p;
            }
            if (peers.size() >= MAX_PEERS) {
                key = OTHER_PEER; // may exceed the bound by the few threads racing here, and by this one label
            }
            return peers.computeIfAbsent(key, k -> new Peer());
        }

        private Traffic traffic(String peer, Kind kind) {
            return peer(peer).traffic(kind == null ? Kind.CLIENT : kind);
        }

        @Override
        public void sent(String peer, Kind kind, long bytes) {
            Traffic t = traffic(peer, kind);
            t.sent.increment();
            t.sentBytes.add(Math.max(0, bytes));
        }

        @Override
        public void received(String peer, Kind kind, long bytes) {
            Traffic t = traffic(peer, kind);
            t.received.increment();
            t.receivedBytes.add(Math.max(0, bytes));
        }

        @Override
        public void completed(String peer, Kind kind, long nanos, Throwable error) {
            Traffic t = traffic(peer, kind);
            t.duration.record(nanos);
            if (error != null) {
                t.errors.computeIfAbsent(errorClass(error), e -> new LongAdder()).increment();
            }
        }

        @Override
        public void connected(String peer) {
            Peer p = peer(peer);
            p.connectionEvents = true;
            p.connections.incrementAndGet();
        }

        @Override
        public void disconnected(String peer) {
            Peer p = peer(peer);
            p.connectionEvents = true;
            p.connections.decrementAndGet();
        }

        @Override
        public String toString() {
            return "TransportMetrics[" + name + "]";
        }
    }

    /** One peer's counters. */
    private static final class Peer {
        final AtomicReferenceArray<Traffic> kinds = new AtomicReferenceArray<>(KINDS.length);
        final AtomicLong connections = new AtomicLong();
        /** Whether the transport reported connections of this peer: only then is the gauge written. */
        volatile boolean connectionEvents;

        Traffic traffic(Kind kind) {
            Traffic t = kinds.get(kind.ordinal());
            if (t == null) {
                kinds.compareAndSet(kind.ordinal(), null, new Traffic());
                t = kinds.get(kind.ordinal());
            }
            return t;
        }
    }

    /** One peer's counters of one kind. */
    private static final class Traffic {
        final LongAdder sent = new LongAdder();
        final LongAdder sentBytes = new LongAdder();
        final LongAdder received = new LongAdder();
        final LongAdder receivedBytes = new LongAdder();
        final DurationHistogram duration = DurationHistogram.latency();
        final Map<String, LongAdder> errors = new ConcurrentHashMap<>(4);
    }
}
