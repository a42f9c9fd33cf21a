package io.chronik.itests.jvm;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * What the in-JVM suites check about logs: a background producer that remembers exactly which records were
 * acknowledged, and comparisons of replicas read through each node's Kafka listener.
 */
final class Records {
    private Records() {
    }

    /**
     * An idempotent {@code acks=all} producer on its own thread, sending {@code <prefix>-<n>} round-robin to the
     * topic's partitions as fast as acknowledgements allow (at most {@code maxInFlight} unacknowledged), recording
     * every acknowledged value by partition.
     */
    static final class BackgroundProducer implements AutoCloseable {
        final Map<Integer, Set<String>> acked = new ConcurrentHashMap<>();
        final AtomicLong ackCount = new AtomicLong();
        final AtomicLong failures = new AtomicLong();
        final AtomicLong sent = new AtomicLong();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;
        private final KafkaProducer<byte[], byte[]> producer;
        private volatile Throwable lastFailure;

        BackgroundProducer(KafkaProducer<byte[], byte[]> producer, String topic, int partitions, String prefix, int maxInFlight) {
            this.producer = producer;
            java.util.concurrent.Semaphore window = new java.util.concurrent.Semaphore(maxInFlight);
            thread = new Thread(() -> {
                long n = 0;
                while (running.get()) {
                    try {
                        if (!window.tryAcquire(100, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                            continue;
                        }
                    } catch (InterruptedException e) {
                        return;
                    }
                    int p = (int) (n % partitions);
                    String value = prefix + "-" + n++;
                    sent.incrementAndGet();
                    try {
                        producer.send(new ProducerRecord<>(topic, p, null, value.getBytes(StandardCharsets.UTF_8)), (md, e) -> {
                            window.release();
                            if (e == null) {
                                acked.computeIfAbsent(p, k -> ConcurrentHashMap.newKeySet()).add(value);
                                ackCount.incrementAndGet();
                            } else {
                                failures.incrementAndGet();
                                lastFailure = e;
                            }
                        });
                    } catch (RuntimeException e) {
                        window.release();
                        failures.incrementAndGet();
                        lastFailure = e;
                    }
                }
            }, "background-producer-" + prefix);
            thread.setDaemon(true);
            thread.start();
        }

        /** Waits until {@code more} acknowledgements beyond {@code since} arrived (at most {@code timeoutMs}). */
        void awaitAcks(long since, long more, long timeoutMs) throws InterruptedException {
            JvmCluster.await((since + more) + " acknowledged records (have " + ackCount.get() + ", failures " + failures.get()
                    + (lastFailure == null ? "" : ", last " + lastFailure) + ")", timeoutMs, () -> ackCount.get() >= since + more,
                    () -> "acknowledged " + ackCount.get() + ", failures " + failures.get() + ", last failure " + lastFailure);
        }

        /** Stops sending and waits for every outstanding send to complete (acknowledged or failed). */
        void stop() throws InterruptedException {
            running.set(false);
            thread.join(10_000);
            producer.flush();
        }

        Set<String> acked(int partition) {
            return acked.getOrDefault(partition, Set.of());
        }

        Throwable lastFailure() {
            return lastFailure;
        }

        @Override
        public void close() throws InterruptedException {
            stop();
            producer.close(java.time.Duration.ofSeconds(5));
        }
    }

    /** The values of {@code entries}, in log order. */
    static List<String> values(Collection<RawKafka.Entry> entries) {
        List<String> v = new ArrayList<>();
        entries.forEach(e -> v.add(e.value()));
        return v;
    }

    /** Asserts that {@code log} holds no value twice and every value of {@code acked}. */
    static void assertHoldsExactlyOnce(String what, List<RawKafka.Entry> log, Set<String> acked) {
        List<String> values = values(log);
        Set<String> unique = new LinkedHashSet<>(values);
        assertEquals(what + ": duplicates in the log", values.size(), unique.size());
        Set<String> missing = new HashSet<>(acked);
        missing.removeAll(unique);
        assertTrue(what + ": " + missing.size() + " acknowledged records missing, e.g. "
                + missing.stream().limit(5).toList(), missing.isEmpty());
        for (int i = 1; i < log.size(); i++) {
            assertTrue(what + ": offsets not increasing at " + log.get(i), log.get(i).offset() > log.get(i - 1).offset());
        }
    }

    /** Node {@code id}'s log of {@code topic}-{@code partition} from offset 0 to its high watermark. */
    /**
     * Node {@code id}'s log of {@code topic}-{@code partition} from offset 0 to its end. A follower whose ReadIndex
     * barrier failed refuses with NOT_LEADER_OR_FOLLOWER (it never serves a stale log); as a consumer would, the read
     * is tried again, at most three times 100 ms apart (the memory transport times ReadIndex calls out early: known
     * problem 3 of docs/in-jvm-cluster.md). Any other refusal fails at once.
     */
    static List<RawKafka.Entry> read(JvmCluster cluster, int id, String topic, int partition) throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                return RawKafka.readLog(cluster.kafkaPort(id), topic, partition, 0);
            } catch (AssertionError e) {
                if (attempt >= 3 || !String.valueOf(e.getMessage()).endsWith("NOT_LEADER_OR_FOLLOWER")) {
                    throw new AssertionError(e.getMessage() + " (attempt " + attempt + "); "
                            + cluster.diagnose(id, topic, partition), e);
                }
                System.out.println("node " + id + " refused a read of " + topic + "-" + partition + " (" + e.getMessage()
                        + "), reading again: " + cluster.diagnose(id, topic, partition));
                Thread.sleep(100);
            }
        }
    }

    /**
     * Waits until every running replica in {@code replicas} serves the same log of {@code topic}-{@code partition}
     * (same offsets, epochs and values, read through each node's Kafka listener) and returns it.
     */
    static List<RawKafka.Entry> awaitSameLog(JvmCluster cluster, String topic, int partition, List<Integer> replicas,
            long timeoutMs) throws InterruptedException {
        List<List<RawKafka.Entry>> last = new ArrayList<>();
        Map<Integer, String> seen = new ConcurrentHashMap<>();
        JvmCluster.await("every replica " + replicas + " of " + topic + "-" + partition + " serves the same log", timeoutMs, () -> {
            last.clear();
            for (int id : replicas) {
                if (!cluster.node(id).isRunning()) {
                    continue;
                }
                try {
                    List<RawKafka.Entry> log = read(cluster, id, topic, partition);
                    seen.put(id, log.size() + " records");
                    last.add(log);
                } catch (AssertionError e) {
                    String m = String.valueOf(e.getMessage());
                    seen.put(id, m.contains("; node ") ? m.substring(0, m.indexOf("; node ")) : m);
                    return false;
                }
            }
            for (List<RawKafka.Entry> l : last) {
                if (!l.equals(last.get(0))) {
                    return false;
                }
            }
            return true;
        }, () -> seen + "; " + replicas.stream().filter(id -> cluster.node(id).isRunning())
                .map(id -> cluster.diagnose(id, topic, partition)).toList());
        return last.get(0);
    }
}
