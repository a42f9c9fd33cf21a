package io.chronik.itests.chaos;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * An idempotent producer ({@code acks=all}, {@code enable.idempotence=true}) on a thread of its own writing unique ids
 * ({@code <name>-<seq>}, as key and value) round-robin to the given partitions at a bounded rate, recording each write
 * in a {@link History}: attempted before the send, then acknowledged (partition, offset) or failed.
 *
 * <p>Thread-safe. {@link #stop} blocks until every send is acknowledged or failed (at most the delivery timeout).
 */
final class HistoryWriter implements AutoCloseable {
    private final String name;
    private final String topic;
    private final List<Integer> partitions;
    private final int perSecond;
    private final History history;
    private final KafkaProducer<byte[], byte[]> producer;
    private final Semaphore inFlight = new Semaphore(200);
    private final AtomicLong acked = new AtomicLong();
    private final Thread thread;
    private volatile boolean running = true;

    /**
     * Starts writing at once.
     *
     * @param deliveryTimeoutMs how long the producer retries one record before it fails it
     */
    HistoryWriter(String bootstrap, String name, String topic, List<Integer> partitions, int perSecond, History history,
            int deliveryTimeoutMs) {
        this.name = name;
        this.topic = topic;
        this.partitions = List.copyOf(partitions);
        this.perSecond = perSecond;
        this.history = history;
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "5");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "30000");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Integer.toString(deliveryTimeoutMs));
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "chaos-" + name);
        producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        thread = new Thread(this::run, "chaos-writer-" + name);
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        long started = System.nanoTime();
        for (long seq = 0; running; seq++) {
            long wait = started + seq * 1_000_000_000L / perSecond - System.nanoTime();
            try {
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                while (!inFlight.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                    if (!running) {
                        return;
                    }
                }
            } catch (InterruptedException e) {
                return;
            }
            int partition = partitions.get((int) (seq % partitions.size()));
            String id = name + "-" + seq;
            byte[] v = id.getBytes(StandardCharsets.UTF_8);
            history.attempt(id);
            try {
                producer.send(new ProducerRecord<>(topic, partition, v, v), (metadata, error) -> {
                    if (error == null) {
                        history.ack(id, partition, metadata.offset(), -1);
                        acked.incrementAndGet();
                    } else {
                        history.fail(id, error);
                    }
                    inFlight.release();
                });
            } catch (RuntimeException e) {
                history.fail(id, e);
                inFlight.release();
            }
        }
    }

    long acked() {
        return acked.get();
    }

    /** Waits until {@code more} writes beyond those acknowledged now are acknowledged; fails after {@code timeoutMs}. */
    void awaitProgress(long more, long timeoutMs) throws InterruptedException {
        long target = acked() + more;
        ChaosCluster.await("writer " + name + " acknowledged " + target, timeoutMs, () -> acked() >= target,
                () -> name + ": " + history);
    }

    /** Stops writing; returns once every send is acknowledged or failed. */
    void stop() throws InterruptedException {
        if (!running) {
            return;
        }
        running = false;
        thread.join(30_000);
        producer.flush();
        producer.close(Duration.ofSeconds(150));
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
