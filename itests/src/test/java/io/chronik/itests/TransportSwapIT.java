package io.chronik.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.systemPackages;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Enumeration;
import java.util.Hashtable;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

import javax.inject.Inject;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.TopicPartition;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.service.cm.ConfigurationAdmin;

import io.chronik.api.consensus.PartitionLogs;
import io.chronik.transport.memory.MemoryNetwork;

/**
 * The Raft transport swapped under a running idempotent producer in one framework, three ways: the gRPC transport
 * bundle stopped and started again, the node switched to the memory transport and back by configuration, and the gRPC
 * bundle updated in place. Each time the node's Raft server restarts on the new transport from its own data; the
 * producer sees only retriable errors (none reach it) and every acknowledged record is read back exactly once.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class TransportSwapIT extends ContainerSupport {
    private static final String TOPIC = "transport-swap";
    private static final int PARTITIONS = 3;

    @Inject
    private ConfigurationAdmin configAdmin;

    @Configuration
    public Option[] config() {
        List<Option> options = new ArrayList<>(List.of(chronikOptions()));
        options.add(systemPackages(kafkaClientsPackages()));
        return options.toArray(new Option[0]);
    }

    @Test
    public void producersLoseNothingWhileTheTransportIsSwapped() throws Exception {
        withKafkaClientsLoader(this::swapUnderAProducer);
    }

    private void swapUnderAProducer() throws Exception {
        String bootstrap = context.getProperty("chronik.kafka.addr");
        String raftAddr = context.getProperty("chronik.raft.addr");
        Properties adminProps = new Properties();
        adminProps.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(adminProps)) {
            admin.createTopics(List.of(new NewTopic(TOPIC, PARTITIONS, (short) 1))).all().get();
        }
        List<TopicPartition> partitions = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++) {
            partitions.add(new TopicPartition(TOPIC, p));
        }
        List<String> costs = new ArrayList<>();
        org.osgi.service.cm.Configuration raft = configAdmin.getConfiguration("io.chronik.raft", "?");
        Dictionary<String, Object> original = copy(raft.getProperties());
        try (LoadProducer load = new LoadProducer(bootstrap, "swap", partitions, 2000)) {
            load.awaitProgress(500, 30_000);
            Bundle grpc = bundle("io.chronik.transport.grpc");

            // 1. the gRPC transport bundle goes away and comes back
            long t = System.nanoTime();
            grpc.stop();
            await("the node stopped without a transport", () -> context.getServiceReference(PartitionLogs.class) == null);
            grpc.start();
            load.awaitProgress(500, 60_000);
            costs.add(String.format(Locale.ROOT, "grpc stop/start %.1f s", (System.nanoTime() - t) / 1e9));

            // 2. switched to the memory transport by configuration: no Raft socket, the address bound in memory
            t = System.nanoTime();
            Dictionary<String, Object> memory = copy(original);
            memory.put("transport.target", "(transport.name=memory)");
            raft.update(memory);
            awaitLong("the node runs on the memory transport", () -> MemoryNetwork.shared().isBound(raftAddr)
                    && context.getServiceReference(PartitionLogs.class) != null);
            load.awaitProgress(500, 60_000);
            costs.add(String.format(Locale.ROOT, "grpc -> memory %.1f s", (System.nanoTime() - t) / 1e9));
            assertTrue("nothing listens on the Raft port " + raftAddr + " on the memory transport", portFree(raftAddr));

            // 3. back to gRPC by configuration
            t = System.nanoTime();
            raft.update(copy(original));
            awaitLong("the node left the memory transport", () -> !MemoryNetwork.shared().isBound(raftAddr)
                    && context.getServiceReference(PartitionLogs.class) != null);
            load.awaitProgress(500, 60_000);
            costs.add(String.format(Locale.ROOT, "memory -> grpc %.1f s", (System.nanoTime() - t) / 1e9));
            assertFalse("the gRPC server listens on " + raftAddr + " again", portFree(raftAddr));

            // 4. the gRPC transport bundle updated in place (same jar: a new revision, new class loader)
            t = System.nanoTime();
            BundleRevision before = grpc.adapt(BundleRevision.class);
            grpc.update();
            assertTrue("a new revision of the gRPC bundle", before != grpc.adapt(BundleRevision.class));
            load.awaitProgress(500, 60_000);
            costs.add(String.format(Locale.ROOT, "grpc bundle update %.1f s", (System.nanoTime() - t) / 1e9));

            load.stop();
            assertEquals("failed sends: " + load.failures(), 0, load.failures().size());
            System.out.println("TransportSwapIT: " + LoadVerifier.assertExactlyOnce(bootstrap, load, 60_000)
                    + "; acknowledged again after: " + String.join(", ", costs));
        } finally {
            raft.update(original);
        }
    }

    private static boolean portFree(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1))));
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private static Dictionary<String, Object> copy(Dictionary<String, Object> d) {
        Dictionary<String, Object> c = new Hashtable<>();
        for (Enumeration<String> keys = d.keys(); keys.hasMoreElements(); ) {
            String k = keys.nextElement();
            c.put(k, d.get(k));
        }
        return c;
    }

    /** {@link #await} with a minute: a node restart includes its checkpoint and Raft log replay. */
    private static void awaitLong(String what, java.util.concurrent.Callable<Boolean> condition) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        while (!Boolean.TRUE.equals(condition.call())) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(50);
        }
    }
}
