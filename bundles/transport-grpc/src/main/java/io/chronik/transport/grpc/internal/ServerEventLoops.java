package io.chronik.transport.grpc.internal;

import java.util.EnumSet;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.ratis.grpc.server.GrpcServices;
import org.apache.ratis.thirdparty.io.grpc.netty.NettyServerBuilder;
import org.apache.ratis.thirdparty.io.netty.channel.EventLoopGroup;
import org.apache.ratis.thirdparty.io.netty.channel.nio.NioEventLoopGroup;
import org.apache.ratis.thirdparty.io.netty.channel.socket.nio.NioServerSocketChannel;

/**
 * Gives one node's Raft gRPC server event loops of its own instead of gRPC's JVM-wide shared ones, and shuts them down
 * when the server closes ({@link #shutdown}). With the shared groups, one server whose shutdown never finished (its
 * channels not closing) left a later server in the same JVM (a node restarted on a new transport, the next test's node)
 * waiting for ever in its start for the shared group's bind; with groups per server, servers cannot hold each other
 * up. One boss thread and two worker threads: a node runs one Raft server. Chains the customizer given to it.
 * Thread-safe.
 */
final class ServerEventLoops implements GrpcServices.Customizer {
    private static final AtomicInteger SERVERS = new AtomicInteger();

    private final GrpcServices.Customizer next;
    private EventLoopGroup boss;
    private EventLoopGroup workers;

    ServerEventLoops(GrpcServices.Customizer next) {
        this.next = next == null ? GrpcServices.Customizer.getDefaultInstance() : next;
    }

    /** The customizer this one chains (never null). */
    GrpcServices.Customizer next() {
        return next;
    }

    @Override
    public synchronized NettyServerBuilder customize(NettyServerBuilder builder, EnumSet<GrpcServices.Type> types) {
        if (boss == null) {
            int n = SERVERS.incrementAndGet();
            boss = new NioEventLoopGroup(1, threads("chronik-raft-grpc-" + n + "-boss"));
            workers = new NioEventLoopGroup(2, threads("chronik-raft-grpc-" + n + "-worker"));
        }
        return next.customize(builder, types).bossEventLoopGroup(boss).workerEventLoopGroup(workers)
                .channelType(NioServerSocketChannel.class);
    }

    /** Shuts the event loops down (after the server closed; without waiting for them). */
    synchronized void shutdown() {
        if (boss != null) {
            boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            boss = null;
            workers = null;
        }
    }

    private static ThreadFactory threads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
