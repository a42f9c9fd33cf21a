package io.chronik.raft.internal;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.Record;
import org.apache.kafka.common.record.RecordBatch;
import org.apache.kafka.common.record.SimpleRecord;
import org.junit.rules.TemporaryFolder;

import io.chronik.api.consensus.PartitionLog;
import io.chronik.api.net.HostPort;
import io.chronik.ratis.rpc.RaftTransport;
import io.chronik.transport.grpc.internal.GrpcRaftTransport;

/** Helpers: nodes on loopback ports with the real gRPC transport, and real Kafka v2 record batches. */
final class TestNodes {
    private TestNodes() {
    }

    /** The ports {@link #freePort} handed out in this JVM. */
    private static final Set<Integer> GIVEN = ConcurrentHashMap.newKeySet();

    /**
     * A loopback port that was free just now and that this JVM has not been given before: the kernel may hand out
     * a just-closed ephemeral port again, and two nodes of one test on the same port fail to start (seen in
     * PartitionMoveIT: nodes 1 and 3 on one port).
     */
    static int freePort() throws IOException {
        while (true) {
            try (ServerSocket s = new ServerSocket(0)) {
                s.setReuseAddress(true);
                if (GIVEN.add(s.getLocalPort())) {
                    return s.getLocalPort();
                }
            }
        }
    }

    /** Raft addresses for nodes 1..{@code n} on free loopback ports, in node order. */
    static Map<Integer, HostPort> loopbackPeers(int n) throws IOException {
        Map<Integer, HostPort> peers = new LinkedHashMap<>();
        for (int id = 1; id <= n; id++) {
            peers.put(id, new HostPort("127.0.0.1", freePort()));
        }
        return peers;
    }

    /**
     * Starts nodes 1 to {@code n} as one cluster on free loopback ports, each in its own directory {@code n<id>} of
     * {@code tmp}, with {@code adjust} applied to its settings (after the peers are set) and a transport from
     * {@code transport}; adds each to {@code into} as it starts (so that the test's clean-up stops it), then waits
     * until every one is ready and sees all {@code n} brokers live.
     *
     * @return the peers (Raft addresses by node id)
     */
    static Map<Integer, HostPort> startCluster(TemporaryFolder tmp, int n, UnaryOperator<NodeSettings> adjust,
            Supplier<RaftTransport> transport, List<ChronikNode> into) throws Exception {
        Map<Integer, HostPort> peers = loopbackPeers(n);
        List<ChronikNode> started = new ArrayList<>();
        for (int id = 1; id <= n; id++) {
            NodeSettings s = adjust.apply(NodeSettings.singleNode(id, peers.get(id).port(),
                    tmp.newFolder("n" + id).toPath(), FlushPolicy.OS).withPeers(peers));
            ChronikNode node = new ChronikNode(s, transport.get());
            into.add(node);
            started.add(node);
            node.start();
        }
        for (ChronikNode node : started) {
            node.ready().get(60, TimeUnit.SECONDS);
        }
        // ready means registered; placing replicas on all of them needs every node to have applied every registration
        long deadline = System.currentTimeMillis() + 30_000;
        while (!started.stream().allMatch(node -> node.metadata().brokers().stream().filter(b -> !b.fenced()).count() == n)) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("the " + n + " nodes did not all see each other registered within 30 s");
            }
            Thread.sleep(20);
        }
        return peers;
    }

    static ChronikNode start(NodeSettings settings) throws Exception {
        ChronikNode node = new ChronikNode(settings, new GrpcRaftTransport());
        node.start();
        node.ready().get(60, TimeUnit.SECONDS);
        return node;
    }

    static NodeSettings single(Path dir, int port) {
        return NodeSettings.singleNode(1, port, dir, FlushPolicy.RAFT);
    }

    /** Waits until this node leads the partition's group (and the leader is ready to accept entries). */
    static PartitionLog awaitLeader(ChronikNode node, String topic, int partition) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < deadline) {
            PartitionReplica r = node.replicas().replica(topic, partition);
            if (r != null && r.isLeader() && r.group().division().getInfo().isLeaderReady()) {
                return r;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no leader for " + topic + "-" + partition);
    }

    static ByteBuffer batch(String... values) {
        SimpleRecord[] records = new SimpleRecord[values.length];
        for (int i = 0; i < values.length; i++) {
            records[i] = new SimpleRecord(System.currentTimeMillis(), null, values[i].getBytes(StandardCharsets.UTF_8));
        }
        return MemoryRecords.withRecords(Compression.NONE, records).buffer();
    }

    static ByteBuffer idempotentBatch(long producerId, short epoch, int baseSequence, String... values) {
        SimpleRecord[] records = new SimpleRecord[values.length];
        for (int i = 0; i < values.length; i++) {
            records[i] = new SimpleRecord(System.currentTimeMillis(), null, values[i].getBytes(StandardCharsets.UTF_8));
        }
        return MemoryRecords.withIdempotentRecords(Compression.NONE, producerId, epoch, baseSequence, records).buffer();
    }

    /** Every record value of the batches read from {@code log} starting at {@code offset}, with their offsets. */
    static List<String> readAll(PartitionLog log, long offset) throws Exception {
        List<String> out = new ArrayList<>();
        long next = offset;
        while (next < log.highWatermark()) {
            ByteBuffer buf = log.read(next, 1 << 20);
            if (!buf.hasRemaining()) {
                break;
            }
            for (RecordBatch b : MemoryRecords.readableRecords(buf).batches()) {
                for (Record r : b) {
                    if (r.offset() >= next) {
                        out.add(r.offset() + ":" + StandardCharsets.UTF_8.decode(r.value()));
                    }
                }
                next = b.lastOffset() + 1;
            }
        }
        return out;
    }
}
