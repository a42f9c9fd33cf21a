package io.chronik.itests;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Continuous load for checking that nothing acknowledged is lost or duplicated: an idempotent producer
 * ({@code acks=all}, {@code enable.idempotence=true}) on a thread of its own sends records whose values are unique and
 * sequential ({@code <name>-<seq>}, key the same), round-robin over the given partitions, at a bounded rate, and
 * records every acknowledgement (topic, partition, offset, value) and every failure. {@link LoadVerifier} then checks
 * the partitions against what was recorded.
 *
 * <p>Thread-safe: the counters and records may be read while the load runs. {@link #stop} blocks until every send has
 * been acknowledged or has failed.
 */
final class LoadProducer implements AutoCloseable {
    /** A record the cluster acknowledged ({@code atMillis}: when the producer got the acknowledgement). */
    record Ack(TopicPartition partition, long offset, long seq, long atMillis) {
    }

    /** A record whose send failed (it may or may not have been written). */
    record Failure(TopicPartition partition, long seq, Exception error) {
    }

    private final String name;
    private final List<TopicPartition> targets;
    private final int perSecond;
    private final KafkaProducer<byte[], byte[]> producer;
    private final Semaphore inFlight = new Semaphore(500);
    private final ConcurrentLinkedQueue<Ack> acks = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Failure> failures = new ConcurrentLinkedQueue<>();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong acked = new AtomicLong();
    private final Thread thread;
    private volatile boolean running = true;

    /**
     * Starts producing at once.
     *
     * @param name prefix of the values, unique among the loads on the same partitions
     * @param targets the partitions, written round-robin (record {@code seq} goes to {@code targets[seq % size]})
     * @param perSecond records per second at most
     */
    LoadProducer(String bootstrap, String name, List<TopicPartition> targets, int perSecond) {
        this.name = name;
        this.targets = List.copyOf(targets);
        this.perSecond = perSecond;
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "5");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "60000");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "120000");
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "load-" + name);
        producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        thread = new Thread(this::run, "load-" + name);
        thread.setDaemon(true);
        thread.start();
    }

    /** The value of record {@code seq} of the load named {@code name}. */
    static String value(String name, long seq) {
        return name + "-" + seq;
    }

    /** The sequence number in {@code value} if it is a value of this load, else -1. */
    long seqOf(String value) {
        if (!value.startsWith(name + "-")) {
            return -1;
        }
        try {
            return Long.parseLong(value.substring(name.length() + 1));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private void run() {
        long started = System.nanoTime();
        for (long seq = 0; running; seq++) {
            long due = started + seq * 1_000_000_000L / perSecond;
            long wait = due - System.nanoTime();
            try {
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                inFlight.acquire();
            } catch (InterruptedException e) {
                return;
            }
            TopicPartition tp = targets.get((int) (seq % targets.size()));
            byte[] v = value(name, seq).getBytes(StandardCharsets.UTF_8);
            long s = seq;
            sent.incrementAndGet();
            try {
                producer.send(new ProducerRecord<>(tp.topic(), tp.partition(), v, v), (metadata, error) -> {
                    if (error == null) {
                        acks.add(new Ack(tp, metadata.offset(), s, System.currentTimeMillis()));
                        acked.incrementAndGet();
                    } else {
                        failures.add(new Failure(tp, s, error));
                    }
                    inFlight.release();
                });
            } catch (RuntimeException e) {
                failures.add(new Failure(tp, s, e));
                inFlight.release();
            }
        }
    }

    /**
     * The producer's own metric {@code name} of the group {@code producer-metrics} (e.g. {@code record-retry-total}: sends
     * retried after a retriable error; {@code record-error-total}: sends that failed for good), or NaN.
     */
    double producerMetric(String name) {
        return producer.metrics().entrySet().stream()
                .filter(e -> e.getKey().name().equals(name) && e.getKey().group().equals("producer-metrics"))
                .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue()).findFirst().orElse(Double.NaN);
    }

    /** Records acknowledged so far. */
    long acked() {
        return acked.get();
    }

    /** Waits until {@code more} records beyond those acknowledged now are acknowledged; fails after {@code timeoutMs}. */
    void awaitProgress(long more, long timeoutMs) throws InterruptedException {
        long target = acked() + more;
        ProcessCluster.await("load " + name + " acknowledged " + target + " records", timeoutMs, () -> acked() >= target,
                () -> this + ", first failures " + failures.stream().limit(3).map(f -> f.seq() + " " + f.error()).toList());
    }

    /** Stops sending and waits (at most the delivery timeout) until every record sent is acknowledged or failed. */
    void stop() throws InterruptedException {
        running = false;
        thread.join(70_000);
        producer.flush();
        producer.close(Duration.ofSeconds(130));
    }

    @Override
    public void close() throws InterruptedException {
        if (running) {
            stop();
        }
    }

    String name() {
        return name;
    }

    List<TopicPartition> targets() {
        return targets;
    }

    long sent() {
        return sent.get();
    }

    List<Ack> acks() {
        return new ArrayList<>(acks);
    }

    List<Failure> failures() {
        return new ArrayList<>(failures);
    }

    @Override
    public String toString() {
        return "load " + name + ": sent " + sent() + ", acknowledged " + acked() + ", failed " + failures.size();
    }
}
