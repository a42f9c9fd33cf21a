package io.chronik.itests;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Collectors;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * A group member in a JVM of its own, to be killed with SIGKILL by {@code ConsumerGroupsIT}: it subscribes to a topic,
 * processes records slowly (a few per poll, a pause per batch) and commits synchronously after each batch. It reports
 * on stdout, one line each:
 * <pre>
 * ASSIGNED 0,1,2            partitions assigned (REVOKED likewise)
 * R &lt;partition&gt; &lt;offset&gt; &lt;key&gt;  a record processed
 * COMMITTING 0=12,1=7       a commit about to be sent
 * COMMITTED 0=12,1=7        the commit returned
 * COMMIT-FAILED 0=12 &lt;error&gt; the commit failed
 * </pre>
 * Arguments: bootstrap servers, group, topic, client id.
 */
public final class GroupMemberMain {
    private GroupMemberMain() {
    }

    public static void main(String[] args) throws Exception {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, args[1]);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, args[3]);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "6000");
        p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "1000");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "2");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
            consumer.subscribe(List.of(args[2]), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    say("REVOKED " + list(partitions));
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    say("ASSIGNED " + list(partitions));
                }
            });
            while (true) {
                Map<TopicPartition, OffsetAndMetadata> commit = new TreeMap<>(
                        (a, b) -> Integer.compare(a.partition(), b.partition()));
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    say("R " + r.partition() + " " + r.offset() + " " + new String(r.key(), StandardCharsets.UTF_8));
                    commit.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
                }
                if (!commit.isEmpty()) {
                    // "processing" takes a while, so that the test can kill this member in the middle of its work
                    Thread.sleep(100);
                    String offsets = commit.entrySet().stream().map(e -> e.getKey().partition() + "=" + e.getValue().offset())
                            .collect(Collectors.joining(","));
                    say("COMMITTING " + offsets);
                    try {
                        consumer.commitSync(commit);
                        say("COMMITTED " + offsets);
                    } catch (KafkaException e) {
                        // CommitFailedException, RebalanceInProgressException: the records will be delivered again
                        say("COMMIT-FAILED " + offsets + " " + e);
                    }
                }
            }
        }
    }

    private static String list(Collection<TopicPartition> partitions) {
        return partitions.stream().map(TopicPartition::partition).sorted().map(String::valueOf).collect(Collectors.joining(","));
    }

    private static void say(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
