package io.chronik.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.TopicPartition;
import org.junit.Rule;
import org.junit.Test;

/**
 * Switching a running single-node broker's Raft transport between gRPC and memory under load (issue 13 item 5), the
 * way an operator does it: by changing the {@code transport.target} line of the node's
 * {@code conf/config/io.chronik.raft.cfg} (File Install applies the file within its poll interval; see
 * docs/transport-swap.md). grpc → memory → grpc: each time the node's Raft server stops, starts again from its own
 * storage on the transport the line names — on memory with no Raft socket open — and the node serves Kafka again. An
 * idempotent {@code acks=all} producer runs throughout; no send fails and every acknowledged record is read back exactly
 * once. Prints how long each switch kept the Raft server down and writes waiting. Also: a node started with
 * {@code --transport memory} serves Kafka without a Raft socket.
 */
public class TransportSwitchIT {
    private static final String TOPIC = "transport-switch";
    /** The line of io.chronik.raft.cfg as shipped: the transport named by --transport. */
    private static final String FROM_SETTING = "transport.target=(transport.name=${chronik.transport})";

    @Rule
    public final ProcessCluster cluster = new ProcessCluster(1);

    @Test
    public void aSingleNodeSwitchesFromGrpcToMemoryAndBackUnderLoadLosingNothing() throws Exception {
        cluster.start();
        List<TopicPartition> tps = Stream.of(0, 1, 2).map(p -> new TopicPartition(TOPIC, p)).toList();
        try (Admin admin = cluster.admin()) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 3, (short) 1))).all().get();
        }
        assertTrue("the gRPC transport listens on --raft-addr", raftSocketOpen());
        List<String> costs = new ArrayList<>();
        try (LoadProducer load = new LoadProducer(cluster.bootstrap(), "switch", tps, 300)) {
            load.awaitProgress(600, 60_000);

            costs.add(switchTo("memory", "transport.target=(transport.name=memory)", load, tps));
            assertFalse("the memory transport opens no Raft socket", raftSocketOpen());
            load.awaitProgress(600, 60_000);

            costs.add(switchTo("grpc", FROM_SETTING, load, tps));
            assertTrue("the gRPC transport listens on --raft-addr again", raftSocketOpen());
            load.awaitProgress(600, 60_000);

            double retries = load.producerMetric("record-retry-total");
            load.stop();
            System.out.println("transport switch, " + load + "; sends retried " + retries);
            costs.forEach(c -> System.out.println("transport switch cost, " + c));
            assertEquals("sends that failed (only retriable errors may happen): " + load.failures().stream().limit(5)
                    .map(f -> f.seq() + " " + f.error()).toList(), 0, load.failures().size());
            System.out.println(LoadVerifier.assertExactlyOnce(cluster.bootstrap(), load, 60_000));
        }
    }

    @Test
    public void aNodeStartedWithTransportMemoryServesKafkaWithoutARaftSocket() throws Exception {
        cluster.start("--transport", "memory");
        cluster.node(1).process().awaitLine("node 1: Raft server on transport 'memory'", 10_000);
        assertFalse("the memory transport opens no Raft socket", raftSocketOpen());
        List<TopicPartition> tps = List.of(new TopicPartition(TOPIC, 0));
        try (Admin admin = cluster.admin()) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1))).all().get();
        }
        try (LoadProducer load = new LoadProducer(cluster.bootstrap(), "memory", tps, 300)) {
            load.awaitProgress(300, 60_000);
            load.stop();
            assertEquals(0, load.failures().size());
            System.out.println(LoadVerifier.assertExactlyOnce(cluster.bootstrap(), load, 60_000));
        }
    }

    /**
     * Replaces the transport.target line of the node's io.chronik.raft.cfg (written aside and renamed, as {@code sed -i}
     * does) and waits until the node runs on {@code transport} and serves Kafka again; returns what it cost.
     */
    private String switchTo(String transport, String line, LoadProducer load, List<TopicPartition> tps) throws Exception {
        ChronikProcess node = cluster.node(1).process();
        int from = node.lineCount();
        Path cfg = cluster.home(1).resolve("conf/config/io.chronik.raft.cfg");
        String text = Files.readAllLines(cfg, StandardCharsets.UTF_8).stream()
                .map(l -> l.startsWith("transport.target=") ? line : l).collect(Collectors.joining("\n", "", "\n"));
        assertTrue(cfg + " has a transport.target line", text.contains(line));
        Path staged = cfg.resolveSibling("io.chronik.raft.cfg.staged");
        Files.writeString(staged, text, StandardCharsets.UTF_8);
        long changed = System.currentTimeMillis();
        Files.move(staged, cfg, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

        TransportSwaps.Restart restart = TransportSwaps.awaitRestart(node, from, 1, transport);
        long stop = restart.stopping().toEpochMilli();
        load.awaitProgress(300, 60_000);
        long end = System.currentTimeMillis();
        return "to " + transport + ": change seen " + (stop - changed) + " ms after the file was written; Raft server down "
                + restart.raftDownMs() + " ms; node ready after " + restart.readyMs() + " ms; longest wait for an "
                + "acknowledgement " + TransportSwaps.longestGap(load, tps, stop - 2000, end) + " ms";
    }

    private boolean raftSocketOpen() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", cluster.node(1).raftPort), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
