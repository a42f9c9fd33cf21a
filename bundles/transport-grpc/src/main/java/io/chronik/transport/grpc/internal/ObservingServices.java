package io.chronik.transport.grpc.internal;

import java.util.EnumSet;

import org.apache.ratis.proto.RaftProtos.AppendEntriesRequestProto;
import org.apache.ratis.proto.RaftProtos.InstallSnapshotRequestProto;
import org.apache.ratis.proto.RaftProtos.RaftRpcRequestProto;
import org.apache.ratis.proto.RaftProtos.ReadIndexRequestProto;
import org.apache.ratis.proto.RaftProtos.RequestVoteRequestProto;
import org.apache.ratis.proto.RaftProtos.StartLeaderElectionRequestProto;
import org.apache.ratis.grpc.server.GrpcServices;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.thirdparty.com.google.protobuf.MessageLite;
import org.apache.ratis.thirdparty.io.grpc.Attributes;
import org.apache.ratis.thirdparty.io.grpc.ForwardingServerCall;
import org.apache.ratis.thirdparty.io.grpc.ForwardingServerCallListener;
import org.apache.ratis.thirdparty.io.grpc.Metadata;
import org.apache.ratis.thirdparty.io.grpc.MethodDescriptor;
import org.apache.ratis.thirdparty.io.grpc.ServerCall;
import org.apache.ratis.thirdparty.io.grpc.ServerCallHandler;
import org.apache.ratis.thirdparty.io.grpc.ServerInterceptor;
import org.apache.ratis.thirdparty.io.grpc.ServerTransportFilter;
import org.apache.ratis.thirdparty.io.grpc.netty.NettyServerBuilder;

import io.chronik.ratis.rpc.TransportObserver;
import io.chronik.ratis.rpc.TransportObserver.Kind;

/**
 * The receiving side of the gRPC transport's traffic: a {@link GrpcServices.Customizer} that adds to the Raft gRPC
 * server an interceptor of every call and a transport filter of every connection, and reports to the
 * {@link TransportObserver}:
 * <ul>
 * <li>each request message that arrives ({@code received}) and each reply that leaves ({@code sent}), with its
 * serialized size. On Ratis' server service ({@code RaftServerProtocolService}) the kind follows the method
 * ({@code appendEntries}: append, {@code requestVote}: vote, {@code installSnapshot}: snapshot, {@code readIndex}:
 * read index, {@code startLeaderElection}: election) and the peer is the requestor named in the request (one of a
 * stream's requests names it for the whole call); calls on the client and admin services are kind client and peer
 * {@value #CLIENT_PEER} (a Raft client's id is random per client, so not a label);</li>
 * <li>connections: an accepted connection counts as connected to the peer once the first server-service request on it
 * names the peer, and as disconnected when it closes. A Raft client's connections (no server-service request) are not
 * counted. Outgoing channels are not counted either: each is the peer's incoming connection.</li>
 * </ul>
 * Chains a customizer already set in the parameters. Thread-safe; the interceptor runs on gRPC's threads and only
 * adds to counters.
 */
final class ObservingServices implements GrpcServices.Customizer {
    /** The peer label of Raft client and admin calls. */
    static final String CLIENT_PEER = "client";
    /** The peer label of a server call whose requests named no requestor (none seen so far). */
    static final String UNKNOWN_PEER = "unknown";
    private static final String SERVER_SERVICE = "RaftServerProtocolService";
    /** The peer of a closed connection (compared by identity), so that a late request does not count it again. */
    @SuppressWarnings("StringOperationCanBeSimplified")
    private static final String CLOSED = new String("closed");

    /** A connection's peer, learnt from its first server-service request. */
    private static final class Connection {
        volatile String peer;
    }

    private static final Attributes.Key<Connection> CONNECTION = Attributes.Key.create("chronik.raft.connection");

    private final GrpcServices.Customizer next;
    private final TransportObserver observer;

    ObservingServices(GrpcServices.Customizer next, TransportObserver observer) {
        this.next = next == null ? GrpcServices.Customizer.getDefaultInstance() : next;
        this.observer = observer;
    }

    /** The customizer this one chains. */
    GrpcServices.Customizer next() {
        return next;
    }

    @Override
    public NettyServerBuilder customize(NettyServerBuilder builder, EnumSet<GrpcServices.Type> types) {
        return next.customize(builder, types).intercept(new Interceptor()).addTransportFilter(new Filter());
    }

    /** The kind of a call by its method: {@link Kind#CLIENT} for any but the server service's Raft methods. */
    static Kind kind(MethodDescriptor<?, ?> method) {
        String service = method.getServiceName();
        if (service == null || !service.endsWith(SERVER_SERVICE)) {
            return Kind.CLIENT;
        }
        String name = method.getBareMethodName();
        if (name == null) {
            return Kind.CLIENT;
        }
        switch (name) {
            case "appendEntries":
                return Kind.APPEND;
            case "requestVote":
                return Kind.VOTE;
            case "installSnapshot":
                return Kind.SNAPSHOT;
            case "readIndex":
                return Kind.READ_INDEX;
            case "startLeaderElection":
                return Kind.ELECTION;
            default:
                return Kind.CLIENT;
        }
    }

    /** The requestor a server request names, or null for any other message. */
    static String requestor(Object message) {
        RaftRpcRequestProto r;
        if (message instanceof AppendEntriesRequestProto m) {
            r = m.getServerRequest();
        } else if (message instanceof RequestVoteRequestProto m) {
            r = m.getServerRequest();
        } else if (message instanceof InstallSnapshotRequestProto m) {
            r = m.getServerRequest();
        } else if (message instanceof ReadIndexRequestProto m) {
            r = m.getServerRequest();
        } else if (message instanceof StartLeaderElectionRequestProto m) {
            r = m.getServerRequest();
        } else {
            return null;
        }
        return r.getRequestorId().isEmpty() ? null : RaftPeerId.valueOf(r.getRequestorId()).toString();
    }

    static long size(Object message) {
        return message instanceof MessageLite m ? m.getSerializedSize() : 0;
    }

    /** The peer of one call: learnt from its first server request; client calls have none to learn. */
    private static final class CallPeer {
        volatile String id;

        CallPeer(String id) {
            this.id = id;
        }
    }

    /** Reports every call's messages. */
    private final class Interceptor implements ServerInterceptor {
        @Override
        public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
                ServerCallHandler<Q, A> handler) {
            Kind kind = kind(call.getMethodDescriptor());
            Connection connection = call.getAttributes().get(CONNECTION);
            CallPeer peer = new CallPeer(kind == Kind.CLIENT ? CLIENT_PEER : null);
            ServerCall<Q, A> observed = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
                @Override
                public void sendMessage(A message) {
                    String p = peer.id;
                    observer.sent(p == null ? UNKNOWN_PEER : p, kind, size(message));
                    super.sendMessage(message);
                }
            };
            ServerCall.Listener<Q> listener = handler.startCall(observed, headers);
            return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
                @Override
                public void onMessage(Q message) {
                    String p = peer.id;
                    if (p == null) {
                        p = requestor(message);
                        if (p != null) {
                            peer.id = p;
                            identify(connection, p);
                        }
                    }
                    observer.received(p == null ? UNKNOWN_PEER : p, kind, size(message));
                    super.onMessage(message);
                }
            };
        }

        private void identify(Connection connection, String peer) {
            if (connection != null && connection.peer == null) {
                synchronized (connection) {
                    if (connection.peer != null) {
                        return;
                    }
                    connection.peer = peer;
                }
                observer.connected(peer);
            }
        }
    }

    /** Gives every accepted connection its {@link Connection}, and reports the close of an identified one. */
    private final class Filter extends ServerTransportFilter {
        @Override
        public Attributes transportReady(Attributes attributes) {
            return attributes.toBuilder().set(CONNECTION, new Connection()).build();
        }

        @Override
        public void transportTerminated(Attributes attributes) {
            Connection c = attributes.get(CONNECTION);
            if (c != null) {
                String peer;
                synchronized (c) {
                    peer = c.peer;
                    c.peer = CLOSED;
                }
                if (peer != null && peer != CLOSED) {
                    observer.disconnected(peer);
                }
            }
        }
    }
}
