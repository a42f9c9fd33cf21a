package io.chronik.itests;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;

/**
 * A Java consumer in one rack reading a {@link LoadProducer}'s partitions from their beginning (assigned, no group)
 * on a thread of its own, as an application does: it keeps every record {@code poll} returns, in order, and every
 * exception {@code poll} throws (what would reach the application). {@link #assertReadExactlyOnce} then checks what it
 * read against what the producer had acknowledged.
 *
 * <p>Thread-safe getters; {@link #close} blocks until the thread has ended.
 */
final class RackReader implements AutoCloseable {
    /** One record as the application saw it. */
    record Read(long offset, String value) {
    }

    private final String rack;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Map<TopicPartition, List<Read>> reads = new HashMap<>();
    private final ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
    private final AtomicLong count = new AtomicLong();
    private final Thread thread;
    private volatile boolean running = true;

    /** Starts reading {@code partitions} from their beginning as a consumer with {@code client.rack=rack}. */
    RackReader(String bootstrap, String rack, List<TopicPartition> partitions) {
        this.rack = rack;
        consumer = FollowerFetchSupport.consumer(bootstrap, rack);
        partitions.forEach(tp -> reads.put(tp, new ArrayList<>()));
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        thread = new Thread(this::run, "reader-" + rack);
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        while (running) {
            try {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    List<Read> list = reads.get(new TopicPartition(r.topic(), r.partition()));
                    synchronized (list) {
                        list.add(new Read(r.offset(), new String(r.value(), StandardCharsets.UTF_8)));
                    }
                    count.incrementAndGet();
                }
            } catch (WakeupException e) {
                // close() wants the thread to end
            } catch (RuntimeException e) {
                errors.add(e.toString());
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
        return count.get();
    }

    /** Bytes this consumer has received from node {@code id}. */
    double bytesFrom(int id) {
        return FollowerFetchSupport.incomingBytes(consumer, id);
    }

    /** What poll threw so far. */
    List<String> errors() {
        return new ArrayList<>(errors);
    }

    /** The offset after the last record read, per partition (0 before any). */
    Map<TopicPartition, Long> positions() {
        Map<TopicPartition, Long> at = new HashMap<>();
        reads.forEach((tp, list) -> {
            synchronized (list) {
                at.put(tp, list.isEmpty() ? 0 : list.get(list.size() - 1).offset() + 1);
            }
        });
        return at;
    }

    /** Waits until this reader has read past every offset {@code load} got acknowledged; fails after {@code timeoutMs}. */
    void awaitAcknowledged(LoadProducer load, long timeoutMs) throws InterruptedException {
        Map<TopicPartition, Long> end = new HashMap<>();
        load.acks().forEach(a -> end.merge(a.partition(), a.offset() + 1, Math::max));
        ProcessCluster.await("reader in " + rack + " read up to " + end, timeoutMs,
                () -> end.entrySet().stream().allMatch(e -> positions().getOrDefault(e.getKey(), 0L) >= e.getValue()),
                () -> "at " + positions() + ", errors " + errors());
    }

    /**
     * Fails with {@link AssertionError} naming the first problems unless: poll threw nothing; in each partition the
     * reader saw offsets 0, 1, 2, ... (no record skipped, none twice); no value of the load came twice; and every
     * record the load got acknowledged was read at its acknowledged offset with its value. Returns a summary.
     */
    String assertReadExactlyOnce(LoadProducer load) {
        List<String> problems = new ArrayList<>();
        errors.forEach(e -> problems.add("poll threw " + e));
        Map<TopicPartition, List<Read>> copy = new HashMap<>();
        reads.forEach((tp, list) -> {
            synchronized (list) {
                copy.put(tp, new ArrayList<>(list));
            }
        });
        Set<Long> seqs = new HashSet<>();
        copy.forEach((tp, list) -> {
            for (int i = 0; i < list.size(); i++) {
                Read r = list.get(i);
                if (r.offset() != i) {
                    problems.add(tp + ": read offset " + r.offset() + " where " + i + " was due (after "
                            + (i == 0 ? "nothing" : list.get(i - 1).offset()) + ")");
                    break;
                }
                long seq = load.seqOf(r.value());
                if (seq >= 0 && !seqs.add(seq)) {
                    problems.add(tp + "@" + r.offset() + ": " + r.value() + " read twice");
                }
            }
        });
        for (LoadProducer.Ack a : load.acks()) {
            List<Read> list = copy.getOrDefault(a.partition(), List.of());
            String value = LoadProducer.value(load.name(), a.seq());
            if (a.offset() >= list.size()) {
                problems.add("acknowledged " + value + " at " + a.partition() + "@" + a.offset() + " not read");
            } else if (!list.get((int) a.offset()).value().equals(value)) {
                problems.add("acknowledged " + value + " at " + a.partition() + "@" + a.offset() + " but read "
                        + list.get((int) a.offset()).value() + " there");
            }
        }
        String summary = "reader in " + rack + ": read " + read() + " records " + positions() + " of " + load;
        if (!problems.isEmpty()) {
            throw new AssertionError(summary + "; " + problems.size() + " problems, first ones:\n  "
                    + String.join("\n  ", problems.subList(0, Math.min(20, problems.size()))));
        }
        return summary;
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        consumer.wakeup();
        thread.join(60_000);
        consumer.close(Duration.ofSeconds(30));
    }
}
