package io.chronik.transport.grpc.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcUtil;
import org.apache.ratis.grpc.server.GrpcServices;
import org.apache.ratis.proto.RaftProtos.RaftRpcReplyProto;
import org.apache.ratis.proto.RaftProtos.RaftRpcRequestProto;
import org.apache.ratis.proto.RaftProtos.ReadIndexReplyProto;
import org.apache.ratis.proto.RaftProtos.ReadIndexRequestProto;
import org.apache.ratis.proto.RaftProtos.RequestVoteReplyProto;
import org.apache.ratis.proto.RaftProtos.RequestVoteRequestProto;
import org.apache.ratis.proto.grpc.AdminProtocolServiceGrpc;
import org.apache.ratis.proto.grpc.RaftClientProtocolServiceGrpc;
import org.apache.ratis.proto.grpc.RaftServerProtocolServiceGrpc;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.RaftException;
import org.apache.ratis.server.protocol.RaftServerAsynchronousProtocol;
import org.apache.ratis.thirdparty.io.grpc.Metadata;
import org.apache.ratis.thirdparty.io.grpc.Status;
import org.apache.ratis.thirdparty.io.grpc.StatusRuntimeException;
import org.junit.Test;

import io.chronik.ratis.rpc.TransportObserver;
import io.chronik.ratis.rpc.TransportObserver.Kind;

/** What the gRPC transport reports of the requests the server sends itself, and how it names calls it receives. */
public class ObservedTrafficTest {
    private final List<String> events = new ArrayList<>();
    private final TransportObserver observer = new TransportObserver() {
        @Override
        public void sent(String peer, Kind kind, long bytes) {
            events.add("sent " + peer + " " + kind + " " + (bytes > 0));
        }

        @Override
        public void received(String peer, Kind kind, long bytes) {
            events.add("received " + peer + " " + kind + " " + (bytes > 0));
        }

        @Override
        public void completed(String peer, Kind kind, long nanos, Throwable error) {
            events.add("completed " + peer + " " + kind + " " + (nanos >= 0) + " "
                    + (error == null ? "ok" : error.getMessage()));
        }

        @Override
        public void connected(String peer) {
            events.add("connected " + peer);
        }

        @Override
        public void disconnected(String peer) {
            events.add("disconnected " + peer);
        }
    };

    private static RaftRpcRequestProto rpc(String from, String to) {
        return RaftRpcRequestProto.newBuilder().setRequestorId(RaftPeerId.valueOf(from).toByteString())
                .setReplyId(RaftPeerId.valueOf(to).toByteString()).setCallId(7).build();
    }

    /** A server RPC that answers votes (or fails them) and ReadIndex requests; nothing else is called. */
    private static GrpcServices delegate(IOException voteFailure, CompletableFuture<ReadIndexReplyProto> readIndex) {
        RaftServerAsynchronousProtocol async = (RaftServerAsynchronousProtocol) Proxy.newProxyInstance(
                ObservedTrafficTest.class.getClassLoader(), new Class<?>[] {RaftServerAsynchronousProtocol.class},
                (p, m, a) -> readIndex);
        return (GrpcServices) Proxy.newProxyInstance(ObservedTrafficTest.class.getClassLoader(),
                new Class<?>[] {GrpcServices.class}, (p, m, a) -> {
                    switch (m.getName()) {
                        case "requestVote":
                            if (voteFailure != null) {
                                throw voteFailure;
                            }
                            return RequestVoteReplyProto.newBuilder().setServerReply(RaftRpcReplyProto.newBuilder()
                                    .setSuccess(true).setCallId(7)).setTerm(3).build();
                        case "async":
                            return async;
                        default:
                            throw new UnsupportedOperationException(m.getName());
                    }
                });
    }

    @Test
    public void votesAreSentAnsweredAndTimedToTheirPeer() throws IOException {
        ObservedServerRpc rpc = new ObservedServerRpc(delegate(null, null), observer);
        RequestVoteReplyProto reply = rpc.requestVote(RequestVoteRequestProto.newBuilder()
                .setServerRequest(rpc("n1", "n2")).setCandidateTerm(3).build());
        assertEquals(3, reply.getTerm());
        assertEquals(List.of("sent n2 VOTE true", "received n2 VOTE true", "completed n2 VOTE true ok"), events);
    }

    @Test
    public void aFailedVoteCompletesWithItsError() {
        ObservedServerRpc rpc = new ObservedServerRpc(delegate(new IOException("UNAVAILABLE"), null), observer);
        assertThrows(IOException.class, () -> rpc.requestVote(RequestVoteRequestProto.newBuilder()
                .setServerRequest(rpc("n1", "n3")).build()));
        assertEquals(List.of("sent n3 VOTE true", "completed n3 VOTE true UNAVAILABLE"), events);
    }

    @Test
    public void aRaftExceptionThePeerAnsweredWithIsReportedAsOne() {
        Metadata trailers = new Metadata();
        trailers.put(GrpcUtil.EXCEPTION_TYPE_KEY, "org.apache.ratis.protocol.exceptions.ServerNotReadyException");
        StatusRuntimeException answered = new StatusRuntimeException(Status.INTERNAL.withDescription("n2 is starting"),
                trailers);
        Throwable reported = ObservedServerRpc.reported(new java.util.concurrent.CompletionException(answered));
        assertTrue(reported instanceof RaftException);
        assertEquals("ServerNotReadyException from the peer: n2 is starting", reported.getMessage());
        StatusRuntimeException unavailable = new StatusRuntimeException(Status.UNAVAILABLE);
        assertSame(unavailable, ObservedServerRpc.reported(unavailable));
        IOException other = new IOException("closed");
        assertSame(other, ObservedServerRpc.reported(other));
    }

    @Test
    public void readIndexCompletesWithItsReply() throws IOException {
        CompletableFuture<ReadIndexReplyProto> answer = new CompletableFuture<>();
        ObservedServerRpc rpc = new ObservedServerRpc(delegate(null, answer), observer);
        CompletableFuture<ReadIndexReplyProto> f = rpc.async().readIndexAsync(ReadIndexRequestProto.newBuilder()
                .setServerRequest(rpc("n2", "n1")).build());
        assertEquals(List.of("sent n1 READ_INDEX true"), events);
        answer.complete(ReadIndexReplyProto.newBuilder().setReadIndex(42).build());
        assertEquals(42, f.join().getReadIndex());
        assertEquals(List.of("sent n1 READ_INDEX true", "received n1 READ_INDEX true", "completed n1 READ_INDEX true ok"),
                events);
        assertSame(rpc.async(), rpc.async());
    }

    @Test
    public void receivedCallsAreNamedByMethodAndRequestor() {
        assertEquals(Kind.APPEND, ObservingServices.kind(RaftServerProtocolServiceGrpc.getAppendEntriesMethod()));
        assertEquals(Kind.VOTE, ObservingServices.kind(RaftServerProtocolServiceGrpc.getRequestVoteMethod()));
        assertEquals(Kind.SNAPSHOT, ObservingServices.kind(RaftServerProtocolServiceGrpc.getInstallSnapshotMethod()));
        assertEquals(Kind.READ_INDEX, ObservingServices.kind(RaftServerProtocolServiceGrpc.getReadIndexMethod()));
        assertEquals(Kind.ELECTION, ObservingServices.kind(RaftServerProtocolServiceGrpc.getStartLeaderElectionMethod()));
        assertEquals(Kind.CLIENT, ObservingServices.kind(RaftClientProtocolServiceGrpc.getOrderedMethod()));
        assertEquals(Kind.CLIENT, ObservingServices.kind(AdminProtocolServiceGrpc.getGroupManagementMethod()));
        assertEquals("n4", ObservingServices.requestor(RequestVoteRequestProto.newBuilder()
                .setServerRequest(rpc("n4", "n1")).build()));
        assertNull(ObservingServices.requestor("not a request"));
    }

    @Test
    public void theTransportObservesOnlyForAnObserver() {
        GrpcRaftTransport transport = new GrpcRaftTransport();
        Parameters without = new Parameters();
        transport.newFactory(without, Map.of());
        assertTrue(GrpcConfigKeys.Server.servicesCustomizer(without) instanceof InlineAppendEntries);
        Parameters with = new Parameters();
        with.put(TransportObserver.KEY, observer, TransportObserver.class);
        transport.newFactory(with, Map.of());
        assertTrue(GrpcConfigKeys.Server.servicesCustomizer(with) instanceof ObservingServices);
        transport.newFactory(with, Map.of()); // the same parameters again: still observed once
        ObservingServices observing = (ObservingServices) GrpcConfigKeys.Server.servicesCustomizer(with);
        assertTrue(observing.next() instanceof InlineAppendEntries);
        assertTrue(!(((InlineAppendEntries) observing.next()).next() instanceof InlineAppendEntries));
    }
}
