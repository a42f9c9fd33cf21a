package io.chronik.transport.grpc.internal;

import java.util.EnumSet;
import java.util.concurrent.Executor;

import org.apache.ratis.grpc.server.GrpcServices;
import org.apache.ratis.thirdparty.io.grpc.Metadata;
import org.apache.ratis.thirdparty.io.grpc.ServerCall;
import org.apache.ratis.thirdparty.io.grpc.ServerCallExecutorSupplier;
import org.apache.ratis.thirdparty.io.grpc.netty.NettyServerBuilder;

/**
 * Runs the Raft gRPC server's {@code appendEntries} calls on the Netty event loop that read them, instead of handing
 * every message to gRPC's default executor first. Ratis' follower answers an AppendEntries request asynchronously: its
 * handler only parses the request and submits it to the division's own executor, so the extra thread hand-off bought
 * nothing and cost a context switch per message on each side (under produce load on three nodes of a 2-core machine,
 * running them inline gave 6-8 % more acks=all records per second; docs/PERFORMANCE.md). gRPC sets a call up on its
 * default executor and only then asks for the call's executor, so a stream's first message may still run there. Every
 * other call (votes, snapshot installation, which write to disk or persist metadata synchronously, and the client and
 * admin services) keeps the default executor, so that nothing blocking runs on an event loop.
 *
 * <p>Chains a customizer already set in the parameters. Stateless and thread-safe.
 */
final class InlineAppendEntries implements GrpcServices.Customizer {
    private static final String SERVER_SERVICE = "RaftServerProtocolService";
    /** Runs a call's callbacks on the thread that delivers them (gRPC serialises them per call). */
    private static final Executor INLINE = Runnable::run;

    private final GrpcServices.Customizer next;

    InlineAppendEntries(GrpcServices.Customizer next) {
        this.next = next == null ? GrpcServices.Customizer.getDefaultInstance() : next;
    }

    /** The customizer this one chains. */
    GrpcServices.Customizer next() {
        return next;
    }

    @Override
    public NettyServerBuilder customize(NettyServerBuilder builder, EnumSet<GrpcServices.Type> types) {
        return next.customize(builder, types).callExecutor(new ServerCallExecutorSupplier() {
            @Override
            public <ReqT, RespT> Executor getExecutor(ServerCall<ReqT, RespT> call, Metadata metadata) {
                return isAppendEntries(call.getMethodDescriptor().getServiceName(),
                        call.getMethodDescriptor().getBareMethodName()) ? INLINE : null; // null: the default executor
            }
        });
    }

    /** Whether a call of {@code method} on {@code service} is the Raft server service's AppendEntries stream. */
    static boolean isAppendEntries(String service, String method) {
        return service != null && service.endsWith(SERVER_SERVICE) && "appendEntries".equals(method);
    }
}
