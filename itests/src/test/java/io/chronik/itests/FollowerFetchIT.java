package io.chronik.itests;

import static io.chronik.itests.FollowerFetchSupport.incomingBytes;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.Rule;
import org.junit.Test;

/**
 * Follower reads on three processes in racks r1, r2, r3 (KIP-392 with read-your-writes): a Java consumer with
 * {@code client.rack=r2} reading a partition led by node 1 is sent to node 2 and reads everything there, and each
 * record acknowledged by the leader afterwards reaches it from that follower; switched off, it reads from the leader.
 */
public class FollowerFetchIT {
    @Rule
    public final ProcessCluster cluster = new ProcessCluster(3).nodeArgs(FollowerFetchSupport::rackOf);

    @Test
    public void aConsumerInTheFollowersRackReadsFromItAndSeesEveryAcknowledgedRecord() throws Exception {
        cluster.start();
        TopicPartition tp = FollowerFetchSupport.createLedByNode1(cluster, "near", 1).get(0);
        double servedBefore = FollowerFetchSupport.followerFetches(cluster, 2);
        try (KafkaProducer<byte[], byte[]> producer = FollowerFetchSupport.producer(cluster);
             KafkaConsumer<byte[], byte[]> consumer = FollowerFetchSupport.consumer(cluster.bootstrap(), "r2")) {
            List<String> acked = new ArrayList<>();
            String padding = "x".repeat(500);
            for (int i = 0; i < 2000; i++) {
                producer.send(new ProducerRecord<>("near", 0, null, ("v" + i + padding).getBytes(StandardCharsets.UTF_8)));
                acked.add("v" + i + padding);
            }
            producer.flush();
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            List<String> read = new ArrayList<>();
            long deadline = System.currentTimeMillis() + 60_000;
            while (read.size() < acked.size() && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    read.add(new String(r.value(), StandardCharsets.UTF_8));
                }
            }
            assertEquals(acked, read);
            double fromFollower = incomingBytes(consumer, 2);
            double fromLeader = incomingBytes(consumer, 1);
            assertTrue("read " + fromFollower + " bytes from node 2 and " + fromLeader + " from node 1",
                    fromFollower > 900_000 && fromLeader < 200_000);

            // read-your-writes: every record acknowledged by the leader is returned by the follower's next fetches
            for (int i = 0; i < 50; i++) {
                String value = "ryw-" + i;
                producer.send(new ProducerRecord<>("near", 0, null, value.getBytes(StandardCharsets.UTF_8))).get(10, TimeUnit.SECONDS);
                long sent = System.currentTimeMillis();
                String seen = null;
                while (seen == null && System.currentTimeMillis() - sent < 5_000) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                        seen = new String(r.value(), StandardCharsets.UTF_8);
                    }
                }
                assertEquals("record " + i + " after its acknowledgement", value, seen);
            }
            assertTrue("still reading from node 2", incomingBytes(consumer, 2) > fromFollower);
        }
        FollowerFetchSupport.assertFollowerFetchesGrew(cluster, 2, servedBefore);
    }

    /** With follower fetch switched off, the same consumer is never sent to its rack's follower, which serves it nothing. */
    @Test
    public void switchedOffTheConsumerReadsFromTheLeader() throws Exception {
        cluster.start("--fetch-from-followers", "false");
        TopicPartition tp = FollowerFetchSupport.createLedByNode1(cluster, "far", 1).get(0);
        try (KafkaProducer<byte[], byte[]> producer = FollowerFetchSupport.producer(cluster);
             KafkaConsumer<byte[], byte[]> consumer = FollowerFetchSupport.consumer(cluster.bootstrap(), "r2")) {
            String padding = "x".repeat(500);
            for (int i = 0; i < 2000; i++) {
                producer.send(new ProducerRecord<>("far", 0, null, ("v" + i + padding).getBytes(StandardCharsets.UTF_8)));
            }
            producer.flush();
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            int read = 0;
            long deadline = System.currentTimeMillis() + 60_000;
            while (read < 2000 && System.currentTimeMillis() < deadline) {
                read += consumer.poll(Duration.ofMillis(500)).count();
            }
            assertEquals(2000, read);
            double fromFollower = incomingBytes(consumer, 2);
            double fromLeader = incomingBytes(consumer, 1);
            assertTrue("read " + fromFollower + " bytes from node 2 and " + fromLeader + " from node 1",
                    fromLeader > 900_000 && fromFollower < 200_000);
        }
        assertEquals(0, FollowerFetchSupport.followerFetches(cluster, 2), 0);
    }
}
