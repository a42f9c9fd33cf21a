package io.chronik.itests;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Checks a stopped {@link LoadProducer}'s partitions against what it recorded: a fresh consumer (no group) reads every
 * target partition from the beginning to its end offset, and
 * <ul>
 * <li>every acknowledged value is there exactly once, at the partition and offset of its acknowledgement;</li>
 * <li>no value of the load is there twice (not even one whose send failed: the producer is idempotent);</li>
 * <li>no value is there that was never sent;</li>
 * <li>in each partition the acknowledged values' offsets rise with their sequence (the producer's order).</li>
 * </ul>
 * Blocking; call from the test thread after {@link LoadProducer#stop}.
 */
final class LoadVerifier {
    private LoadVerifier() {
    }

    /** Where a value was found. */
    private record Found(TopicPartition partition, long offset) {
    }

    /**
     * Reads the load's partitions (at most {@code timeoutMs}) and fails with {@link AssertionError} listing the first
     * problems found if any check does not hold; returns a one-line summary otherwise.
     */
    static String assertExactlyOnce(String bootstrap, LoadProducer load, long timeoutMs) {
        List<LoadProducer.Ack> acks = load.acks();
        Map<Long, List<Found>> found = read(bootstrap, load, timeoutMs);
        List<String> problems = new ArrayList<>();
        Set<Long> ackedSeqs = new HashSet<>();
        for (LoadProducer.Ack a : acks) {
            ackedSeqs.add(a.seq());
            List<Found> at = found.getOrDefault(a.seq(), List.of());
            if (at.isEmpty()) {
                problems.add("acknowledged " + LoadProducer.value(load.name(), a.seq()) + " (" + a.partition() + "@" + a.offset()
                        + ") is missing");
            } else if (!at.get(0).equals(new Found(a.partition(), a.offset()))) {
                problems.add("acknowledged " + LoadProducer.value(load.name(), a.seq()) + " at " + a.partition() + "@" + a.offset()
                        + " but found at " + at.get(0).partition() + "@" + at.get(0).offset());
            }
        }
        for (Map.Entry<Long, List<Found>> e : found.entrySet()) {
            String v = LoadProducer.value(load.name(), e.getKey());
            if (e.getValue().size() > 1) {
                problems.add(v + (ackedSeqs.contains(e.getKey()) ? " (acknowledged)" : " (not acknowledged)") + " is there "
                        + e.getValue().size() + " times: " + e.getValue());
            }
            if (e.getKey() >= load.sent()) {
                problems.add(v + " was never sent but is at " + e.getValue());
            }
        }
        Map<TopicPartition, List<LoadProducer.Ack>> byPartition = new HashMap<>();
        acks.forEach(a -> byPartition.computeIfAbsent(a.partition(), k -> new ArrayList<>()).add(a));
        for (List<LoadProducer.Ack> list : byPartition.values()) {
            list.sort(Comparator.comparingLong(LoadProducer.Ack::seq));
            for (int i = 1; i < list.size(); i++) {
                if (list.get(i).offset() <= list.get(i - 1).offset()) {
                    problems.add("out of order in " + list.get(i).partition() + ": " + list.get(i - 1) + " then " + list.get(i));
                    break;
                }
            }
        }
        String summary = load + "; read back " + found.size() + " distinct values";
        if (!problems.isEmpty()) {
            throw new AssertionError(summary + "; " + problems.size() + " problems, first ones:\n  "
                    + String.join("\n  ", problems.subList(0, Math.min(20, problems.size()))) + "\nfirst failures: "
                    + load.failures().stream().limit(5).map(f -> f.seq() + " " + f.error()).toList());
        }
        return summary;
    }

    /** Every value of the load in its partitions, by sequence number, with where it was found. */
    private static Map<Long, List<Found>> read(String bootstrap, LoadProducer load, long timeoutMs) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "verify-" + load.name());
        Map<Long, List<Found>> found = new HashMap<>();
        List<TopicPartition> partitions = load.targets();
        long deadline = System.currentTimeMillis() + timeoutMs;
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            c.assign(partitions);
            c.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = c.endOffsets(partitions, Duration.ofMillis(timeoutMs));
            while (partitions.stream().anyMatch(tp -> c.position(tp, Duration.ofMillis(timeoutMs)) < end.get(tp))) {
                if (System.currentTimeMillis() > deadline) {
                    Map<TopicPartition, Long> at = new HashMap<>();
                    partitions.forEach(tp -> at.put(tp, c.position(tp)));
                    throw new AssertionError("read " + at + " of " + end + " in " + timeoutMs + " ms");
                }
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    long seq = load.seqOf(new String(r.value(), StandardCharsets.UTF_8));
                    if (seq >= 0) {
                        found.computeIfAbsent(seq, k -> new ArrayList<>())
                                .add(new Found(new TopicPartition(r.topic(), r.partition()), r.offset()));
                    }
                }
            }
        }
        return found;
    }
}
