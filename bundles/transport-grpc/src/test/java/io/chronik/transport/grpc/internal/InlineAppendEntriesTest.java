package io.chronik.transport.grpc.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.net.InetSocketAddress;
import java.util.EnumSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.ratis.grpc.server.GrpcServices;
import org.apache.ratis.proto.RaftProtos.AppendEntriesReplyProto;
import org.apache.ratis.proto.RaftProtos.AppendEntriesRequestProto;
import org.apache.ratis.proto.RaftProtos.RequestVoteReplyProto;
import org.apache.ratis.proto.RaftProtos.RequestVoteRequestProto;
import org.apache.ratis.proto.grpc.RaftServerProtocolServiceGrpc;
import org.apache.ratis.thirdparty.io.grpc.ManagedChannel;
import org.apache.ratis.thirdparty.io.grpc.Server;
import org.apache.ratis.thirdparty.io.grpc.netty.NettyChannelBuilder;
import org.apache.ratis.thirdparty.io.grpc.netty.NettyServerBuilder;
import org.apache.ratis.thirdparty.io.grpc.stub.StreamObserver;
import org.junit.Test;

import io.chronik.ratis.rpc.TransportObserver;

/**
 * A real gRPC server customized as the transport does: AppendEntries messages are handled on the event loop that read
 * them, votes (which Ratis answers synchronously, persisting its metadata) on gRPC's executor. gRPC sets up a call (and
 * asks the executor supplier) on its default executor, so the first message of a stream may still be delivered there;
 * the stream's later messages are not.
 */
public class InlineAppendEntriesTest {

    /** Records the thread each call ran on. */
    private static final class ThreadRecorder extends RaftServerProtocolServiceGrpc.RaftServerProtocolServiceImplBase {
        final java.util.List<String> appendThreads = new java.util.concurrent.CopyOnWriteArrayList<>();
        final CompletableFuture<String> voteThread = new CompletableFuture<>();

        @Override
        public StreamObserver<AppendEntriesRequestProto> appendEntries(StreamObserver<AppendEntriesReplyProto> replies) {
            return new StreamObserver<>() {
                @Override
                public void onNext(AppendEntriesRequestProto request) {
                    appendThreads.add(Thread.currentThread().getName());
                    replies.onNext(AppendEntriesReplyProto.getDefaultInstance());
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onCompleted() {
                    replies.onCompleted();
                }
            };
        }

        @Override
        public void requestVote(RequestVoteRequestProto request, StreamObserver<RequestVoteReplyProto> replies) {
            voteThread.complete(Thread.currentThread().getName());
            replies.onNext(RequestVoteReplyProto.getDefaultInstance());
            replies.onCompleted();
        }
    }

    @Test(timeout = 60_000)
    public void appendEntriesRunOnTheEventLoopAndVotesOnTheExecutor() throws Exception {
        ThreadRecorder service = new ThreadRecorder();
        Server server = new InlineAppendEntries(null)
                .customize(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)),
                        EnumSet.allOf(GrpcServices.Type.class))
                .addService(service)
                .build().start();
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
        try {
            RaftServerProtocolServiceGrpc.RaftServerProtocolServiceStub stub = RaftServerProtocolServiceGrpc.newStub(channel);
            java.util.concurrent.BlockingQueue<AppendEntriesReplyProto> appendReplies =
                    new java.util.concurrent.LinkedBlockingQueue<>();
            StreamObserver<AppendEntriesRequestProto> requests = stub.appendEntries(new StreamObserver<>() {
                @Override
                public void onNext(AppendEntriesReplyProto value) {
                    appendReplies.add(value);
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onCompleted() {
                }
            });
            for (int i = 0; i < 5; i++) { // one after the other, as a Raft leader's stream sends them
                requests.onNext(AppendEntriesRequestProto.getDefaultInstance());
                assertNotNull("reply " + i, appendReplies.poll(10, TimeUnit.SECONDS));
            }
            requests.onCompleted();
            CompletableFuture<RequestVoteReplyProto> voteReply = new CompletableFuture<>();
            stub.requestVote(RequestVoteRequestProto.getDefaultInstance(), replyInto(voteReply));
            voteReply.get(10, TimeUnit.SECONDS);

            String append = service.appendThreads.get(service.appendThreads.size() - 1);
            String vote = service.voteThread.get(10, TimeUnit.SECONDS);
            assertTrue("AppendEntries handled on a Netty event loop, were " + service.appendThreads, append.contains("ELG"));
            assertFalse("a vote handled off the event loop, was " + vote, vote.contains("ELG"));
        } finally {
            channel.shutdownNow();
            server.shutdownNow();
            server.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    @Test
    public void onlyTheServerServicesAppendEntriesIsInline() {
        assertTrue(InlineAppendEntries.isAppendEntries("ratis.grpc.RaftServerProtocolService", "appendEntries"));
        assertFalse(InlineAppendEntries.isAppendEntries("ratis.grpc.RaftServerProtocolService", "requestVote"));
        assertFalse(InlineAppendEntries.isAppendEntries("ratis.grpc.RaftServerProtocolService", "installSnapshot"));
        assertFalse(InlineAppendEntries.isAppendEntries("ratis.grpc.RaftClientProtocolService", "appendEntries"));
        assertFalse(InlineAppendEntries.isAppendEntries(null, "appendEntries"));
    }

    @Test
    public void customizingParametersTwiceChainsTheTransportsCustomizersOnce() {
        GrpcServices.Customizer first = GrpcRaftTransport.customizer(null, ObservingServicesShutdownTest.NOTHING);
        GrpcServices.Customizer again = GrpcRaftTransport.customizer(first, ObservingServicesShutdownTest.NOTHING);
        ObservingServices observing = (ObservingServices) again;
        InlineAppendEntries inline = (InlineAppendEntries) observing.next();
        assertSame(GrpcServices.Customizer.getDefaultInstance(), inline.next());
        assertEquals(InlineAppendEntries.class, GrpcRaftTransport.customizer(again, TransportObserver.NONE).getClass());
    }

    private static <T> StreamObserver<T> replyInto(CompletableFuture<T> reply) {
        return new StreamObserver<>() {
            @Override
            public void onNext(T value) {
                reply.complete(value);
            }

            @Override
            public void onError(Throwable t) {
                reply.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
            }
        };
    }
}
