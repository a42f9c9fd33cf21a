package io.chronik.raft.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.fail;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import io.chronik.transport.grpc.internal.GrpcRaftTransport;

/**
 * A node whose Raft port is taken: Ratis' gRPC server would end the JVM ({@code System.exit(1)}); the node's start
 * fails with an exception instead, this JVM runs on (the test would not finish otherwise), and the node starts from
 * the same data directory once the port is free.
 */
public class TakenPortIT {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void aTakenRaftPortFailsTheStartAndLeavesTheJvmRunning() throws Exception {
        Path dir = tmp.newFolder("node").toPath();
        int port = TestNodes.freePort();
        NodeSettings settings = TestNodes.single(dir, port);
        try (ServerSocket taken = new ServerSocket(port, 50, InetAddress.getLoopbackAddress())) {
            ChronikNode node = new ChronikNode(settings, new GrpcRaftTransport());
            try {
                node.start();
                fail("started on a taken port");
            } catch (Exception expected) {
                // Ratis' ExitException (exits disabled) or the bind failure itself
            } finally {
                node.stop();
            }
        }
        ChronikNode node = TestNodes.start(settings);
        try {
            node.metadata().createTopic("after", List.of(List.of(1)), Map.of()).toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
            assertEquals(1, node.metadata().topic("after").orElseThrow().partitions().size());
        } finally {
            node.stop();
        }
    }
}
