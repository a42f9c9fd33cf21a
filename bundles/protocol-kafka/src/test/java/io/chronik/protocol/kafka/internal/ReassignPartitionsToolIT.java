package io.chronik.protocol.kafka.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * Kafka's own {@code kafka-reassign-partitions} tool ({@code org.apache.kafka.tools.reassign.ReassignPartitionsCommand}
 * of kafka-tools 4.x), run as a separate process the way an operator runs it, against the in-memory cluster: node 1
 * serves, node 2 is registered at node 1's address. {@code --execute --throttle} starts the moves and sets the
 * throttles, {@code --list} and {@code --verify} report a held move as in progress, and once the moves are done
 * {@code --verify} reports them complete and clears every throttle. {@code --cancel} ends a move in progress.
 */
public class ReassignPartitionsToolIT {
    private static final String TOOL = "org.apache.kafka.tools.reassign.ReassignPartitionsCommand";

    private static InMemoryCluster cluster;
    private static KafkaServer server;
    private static Admin admin;

    @BeforeClass
    public static void start() throws Exception {
        cluster = new InMemoryCluster(1);
        server = new KafkaServer(ServerSettings.defaults("127.0.0.1:0"), () -> cluster, () -> cluster);
        server.start();
        cluster.setPort(server.port());
        cluster.registerBroker(2, false);
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + server.port());
        admin = Admin.create(p);
    }

    @AfterClass
    public static void stop() {
        admin.close(Duration.ofSeconds(5));
        server.close();
        cluster.close();
    }

    private static Path plan(String json) throws IOException {
        Path file = Files.createTempFile("reassignment", ".json");
        file.toFile().deleteOnExit();
        Files.writeString(file, json);
        return file;
    }

    private static Config describe(ConfigResource.Type type, String name) throws Exception {
        ConfigResource r = new ConfigResource(type, name);
        return admin.describeConfigs(List.of(r)).all().get(10, TimeUnit.SECONDS).get(r);
    }

    @Test
    public void executeListVerifyAndClearThrottles() throws Exception {
        cluster.createTopic("tool", 2, 1, Map.of()).toCompletableFuture().get(5, TimeUnit.SECONDS);
        Path plan = plan("{\"version\":1,\"partitions\":[{\"topic\":\"tool\",\"partition\":0,\"replicas\":[1,2]},"
                + "{\"topic\":\"tool\",\"partition\":1,\"replicas\":[1]}]}");
        cluster.holdReassignments(true);
        try {
            Run execute = tool("--execute", "--reassignment-json-file", plan.toString(), "--throttle", "1000");
            assertEquals(execute.toString(), 0, execute.exit);
            assertTrue(execute.toString(), execute.out.contains("Successfully started partition reassignments for tool-0,tool-1"));
            assertTrue(execute.toString(), execute.out.contains("The inter-broker throttle limit was set to 1000 B/s"));
            assertEquals("1000", describe(ConfigResource.Type.BROKER, "1").get("leader.replication.throttled.rate").value());
            assertEquals("1000", describe(ConfigResource.Type.BROKER, "2").get("follower.replication.throttled.rate").value());
            assertEquals("0:1,1:1", describe(ConfigResource.Type.TOPIC, "tool").get("leader.replication.throttled.replicas").value());
            assertEquals("0:2", describe(ConfigResource.Type.TOPIC, "tool").get("follower.replication.throttled.replicas").value());

            Run list = tool("--list");
            assertTrue(list.toString(), list.out.contains("Current partition reassignments:"));
            assertTrue(list.toString(), list.out.contains("tool-0: replicas: 1,2. adding: 2."));

            Run pending = tool("--verify", "--reassignment-json-file", plan.toString());
            assertEquals(pending.toString(), 0, pending.exit);
            assertTrue(pending.toString(), pending.out.contains("Reassignment of partition tool-0 is still in progress."));
            assertTrue(pending.toString(), pending.out.contains("Reassignment of partition tool-1 is completed."));
            assertFalse(pending.toString(), pending.out.contains("Clearing"));
        } finally {
            cluster.holdReassignments(false);
            cluster.completeReassignments().toCompletableFuture().get(5, TimeUnit.SECONDS);
        }

        Run done = tool("--verify", "--reassignment-json-file", plan.toString());
        assertEquals(done.toString(), 0, done.exit);
        assertTrue(done.toString(), done.out.contains("Reassignment of partition tool-0 is completed."));
        assertTrue(done.toString(), done.out.contains("Reassignment of partition tool-1 is completed."));
        assertTrue(done.toString(), done.out.contains("Clearing broker-level throttles on brokers 1,2"));
        assertTrue(done.toString(), done.out.contains("Clearing topic-level throttles on topic tool"));
        for (String broker : List.of("1", "2")) {
            assertNull(describe(ConfigResource.Type.BROKER, broker).get("leader.replication.throttled.rate"));
            assertNull(describe(ConfigResource.Type.BROKER, broker).get("follower.replication.throttled.rate"));
        }
        assertNull(describe(ConfigResource.Type.TOPIC, "tool").get("leader.replication.throttled.replicas"));
        assertNull(describe(ConfigResource.Type.TOPIC, "tool").get("follower.replication.throttled.replicas"));
        assertEquals(List.of(1, 2), cluster.topic("tool").get().partitions().get(0).replicas());

        Run none = tool("--list");
        assertTrue(none.toString(), none.out.contains("No partition reassignments found."));
    }

    @Test
    public void cancelEndsAMoveInProgress() throws Exception {
        cluster.createTopic("cancel", 1, 1, Map.of()).toCompletableFuture().get(5, TimeUnit.SECONDS);
        Path plan = plan("{\"version\":1,\"partitions\":[{\"topic\":\"cancel\",\"partition\":0,\"replicas\":[2]}]}");
        cluster.holdReassignments(true);
        try {
            Run execute = tool("--execute", "--reassignment-json-file", plan.toString());
            assertEquals(execute.toString(), 0, execute.exit);
            Run cancel = tool("--cancel", "--reassignment-json-file", plan.toString());
            assertEquals(cancel.toString(), 0, cancel.exit);
            assertTrue(cancel.toString(), cancel.out.contains("Successfully cancelled partition reassignment for: cancel-0"));
            assertTrue(cluster.reassignments().isEmpty());
            assertEquals(List.of(1), cluster.topic("cancel").get().partitions().get(0).replicas());
            Run verify = tool("--verify", "--reassignment-json-file", plan.toString());
            assertTrue(verify.toString(), verify.out.contains(
                    "There is no active reassignment of partition cancel-0, but replica set is 1 rather than 2."));
        } finally {
            cluster.holdReassignments(false);
        }
    }

    private record Run(List<String> args, int exit, String out, String err) {
        @Override
        public String toString() {
            return "kafka-reassign-partitions " + String.join(" ", args) + " -> exit " + exit + "\n" + out + err;
        }
    }

    /** Runs the tool in a JVM of its own, with this test's class path; fails if it takes more than 60 s. */
    private static Run tool(String... args) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(List.of("--bootstrap-server", "127.0.0.1:" + server.port()));
        all.addAll(List.of(args));
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), TOOL));
        command.addAll(all);
        Process p = new ProcessBuilder(command).start();
        p.getOutputStream().close();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError("kafka-reassign-partitions " + String.join(" ", all) + " did not end in 60 s");
        }
        Run run = new Run(all, p.exitValue(), out.join(), err.join());
        System.out.println(run);
        return run;
    }

    private static String read(InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return e.toString();
        }
    }
}
