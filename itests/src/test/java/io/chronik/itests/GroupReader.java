package io.chronik.itests;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * One member of a consumer group reading topics on a thread of its own and committing synchronously after every
 * poll, with {@code auto.offset.reset=none}: a committed offset that is no longer valid surfaces as an error
 * (OFFSET_OUT_OF_RANGE, no offset) instead of a silent reset. It records every error and every time a partition's
 * offsets do not follow on from the previous record (a rewind, i.e. records read twice, or a gap).
 *
 * <p>{@link #commitStart} gives the group committed offsets (the log start) before the first member joins, so that
 * "none" holds from the first poll. Thread-safe getters; {@link #close} blocks until the thread has ended.
 */
final class GroupReader implements AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread thread;
    private final Map<TopicPartition, Long> next = new ConcurrentHashMap<>();
    private final Map<TopicPartition, Long> firstOffsets = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
    private final AtomicLong read = new AtomicLong();
    private volatile boolean running = true;

    /** Commits offset 0 for every partition of {@code partitions} in {@code group}, before any member has joined. */
    static void commitStart(Admin admin, String group, List<TopicPartition> partitions) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        partitions.forEach(tp -> offsets.put(tp, new OffsetAndMetadata(0)));
        admin.alterConsumerGroupOffsets(group, offsets).all().get(30, TimeUnit.SECONDS);
    }

    /** Joins {@code group}, subscribed to {@code topics}, and starts reading. */
    GroupReader(String bootstrap, String group, List<String> topics) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "reader-" + group);
        consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        consumer.subscribe(topics);
        thread = new Thread(this::run, "reader-" + group);
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        while (running) {
            try {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(200));
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                    firstOffsets.putIfAbsent(tp, r.offset());
                    Long expected = next.get(tp);
                    if (expected != null && r.offset() != expected) {
                        problems.add(tp + ": read offset " + r.offset() + " after " + (expected - 1));
                    }
                    next.put(tp, r.offset() + 1);
                    read.incrementAndGet();
                }
                if (!records.isEmpty()) {
                    consumer.commitSync(Duration.ofSeconds(30));
                }
            } catch (WakeupException e) {
                // close() wants the thread to end
            } catch (RuntimeException e) {
                // a retriable commit failure during a leader change is fine; anything about offsets is not
                problems.add(e.toString());
                try {
                    Thread.sleep(200);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    /** Records read so far. */
    long read() {
        return read.get();
    }

    /** The offset after the last record read per partition. */
    Map<TopicPartition, Long> positions() {
        return new HashMap<>(next);
    }

    /** The offset of the first record read per partition. */
    Map<TopicPartition, Long> firstOffsets() {
        return new HashMap<>(firstOffsets);
    }

    /** Errors and rewinds seen so far. */
    List<String> problems() {
        return new ArrayList<>(problems);
    }

    /** Waits until the member has read up to {@code end} in every partition of it; fails after {@code timeoutMs}. */
    void awaitPositions(Map<TopicPartition, Long> end, long timeoutMs) throws InterruptedException {
        ProcessCluster.await("group read up to " + end, timeoutMs,
                () -> end.entrySet().stream().allMatch(e -> e.getValue() == 0 || next.getOrDefault(e.getKey(), 0L) >= e.getValue()),
                () -> "at " + positions() + ", problems " + problems());
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        consumer.wakeup();
        thread.join(60_000);
        consumer.close(Duration.ofSeconds(30));
    }
}
