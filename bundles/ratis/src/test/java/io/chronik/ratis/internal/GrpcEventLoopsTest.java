package io.chronik.ratis.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

import org.apache.ratis.thirdparty.io.grpc.ConnectivityState;
import org.apache.ratis.thirdparty.io.grpc.ManagedChannel;
import org.apache.ratis.thirdparty.io.grpc.Server;
import org.apache.ratis.thirdparty.io.grpc.netty.NettyChannelBuilder;
import org.apache.ratis.thirdparty.io.grpc.netty.NettyServerBuilder;
import org.junit.Test;

/**
 * gRPC's shared event loops (the ones Ratis' gRPC servers and channels run on) outlive the last server and channel by
 * about a second; the bundle's stop waits for them so that they do not outlive its class loader.
 */
public class GrpcEventLoopsTest {

    @Test
    public void namesOfGrpcsSharedEventLoopThreads() {
        assertTrue(GrpcEventLoops.isEventLoopThread("grpc-default-boss-ELG-1-1"));
        assertTrue(GrpcEventLoops.isEventLoopThread("grpc-default-worker-ELG-3-1"));
        assertTrue(GrpcEventLoops.isEventLoopThread("grpc-nio-worker-ELG-1-4"));
        assertFalse(GrpcEventLoops.isEventLoopThread("grpc-default-executor-0"));
        assertFalse(GrpcEventLoops.isEventLoopThread("chronik-kafka-1-1"));
    }

    @Test
    public void waitsUntilTheEventLoopsOfAClosedServerAndChannelHaveEnded() throws Exception {
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).build().start();
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
        long deadline = System.currentTimeMillis() + 10_000;
        while (channel.getState(true) != ConnectivityState.READY && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(ConnectivityState.READY, channel.getState(false));
        assertFalse("event loops run while the server and the channel are open", GrpcEventLoops.threads().isEmpty());

        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);

        assertTrue(GrpcEventLoops.awaitTermination(RatisActivator.EVENT_LOOPS_WAIT_MS));
        assertTrue(GrpcEventLoops.threads().toString(), GrpcEventLoops.threads().isEmpty());
    }
}
