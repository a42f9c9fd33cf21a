package io.chronik.transport.grpc.internal;

import static org.junit.Assert.assertTrue;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.EnumSet;
import java.util.concurrent.TimeUnit;

import org.apache.ratis.grpc.server.GrpcServices;
import org.apache.ratis.thirdparty.io.grpc.Server;
import org.apache.ratis.thirdparty.io.grpc.netty.NettyServerBuilder;
import org.junit.Test;

import io.chronik.ratis.rpc.TransportObserver;

/**
 * A connection that closes before its HTTP/2 handshake (a TCP port probe) reaches the transport filter with no
 * attributes; the filter must not fail on it, or gRPC never counts the connection as gone and the server's shutdown
 * (a node's stop, a transport swap) waits for ever.
 */
public class ObservingServicesShutdownTest {
    static final TransportObserver NOTHING = new TransportObserver() {
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

    @Test(timeout = 60_000)
    public void aServerProbedByABareTcpConnectionStillShutsDown() throws Exception {
        Server server = new ObservingServices(null, NOTHING)
                .customize(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)),
                        EnumSet.allOf(GrpcServices.Type.class))
                .build().start();
        try (Socket probe = new Socket()) {
            probe.connect(new InetSocketAddress("127.0.0.1", server.getPort()), 5000);
        }
        Thread.sleep(500); // the server sees the probe's connection close
        server.shutdownNow();
        assertTrue("the server terminated after a port probe", server.awaitTermination(10, TimeUnit.SECONDS));
    }
}
