import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The many-partitions benchmark (docs/PERFORMANCE.md, issue 15): against any Kafka-compatible cluster,
 * <ol>
 * <li>creates TOPICS topics of PARTITIONS partitions (replication factor RF) through one AdminClient, BATCH topics per
 * CreateTopics request, INFLIGHT requests at a time, and prints the time per thousand topics (is the cost flat?) and
 * in total;</li>
 * <li>produces one record to every partition (acks=all, idempotent), printing the time until all are acknowledged;</li>
 * <li>times a Metadata request for all topics ({@code KafkaConsumer.listTopics});</li>
 * <li>reads every record back with one consumer assigned all partitions, printing the time and the count.</li>
 * </ol>
 * {@code java -cp "$HOME/.cache/kafka-baseline/lib/*" ClusterScale.java BOOTSTRAP TOPICS [PARTITIONS] [RF] [BATCH]
 * [INFLIGHT] [PREFIX]}. Exit code 1 if a step did not complete (records missing, creation failed).
 */
public class ClusterScale {
    /** Producers sharing the one record per partition, and threads sending through each (see produceAndReadBack). */
    private static final int PRODUCERS = Integer.getInteger("producers", 4);
    private static final int SENDERS = Integer.getInteger("senders", 64);

    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        int topics = Integer.parseInt(args[1]);
        int partitions = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        short rf = args.length > 3 ? Short.parseShort(args[3]) : 3;
        int batch = args.length > 4 ? Integer.parseInt(args[4]) : 200;
        int inflight = args.length > 5 ? Integer.parseInt(args[5]) : 4;
        String prefix = args.length > 6 ? args[6] : "scale-";
        List<String> names = new ArrayList<>();
        for (int i = 0; i < topics; i++) {
            names.add(String.format("%s%05d", prefix, i));
        }
        boolean ok = create(bootstrap, names, partitions, rf, batch, inflight);
        ok &= produceAndReadBack(bootstrap, names, partitions);
        System.exit(ok ? 0 : 1);
    }

    private static boolean create(String bootstrap, List<String> names, int partitions, short rf, int batch,
            int inflight) throws Exception {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "120000");
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "300000");
        AtomicInteger failed = new AtomicInteger();
        AtomicReference<Throwable> firstFailure = new AtomicReference<>();
        long start = System.nanoTime();
        try (Admin admin = Admin.create(p)) {
            Semaphore slots = new Semaphore(inflight);
            long lastMark = start;
            List<KafkaFuture<Void>> all = new ArrayList<>();
            for (int from = 0; from < names.size(); from += batch) {
                List<NewTopic> req = new ArrayList<>();
                for (String n : names.subList(from, Math.min(names.size(), from + batch))) {
                    req.add(new NewTopic(n, partitions, rf));
                }
                slots.acquire();
                for (Map.Entry<String, KafkaFuture<Void>> e : admin.createTopics(req).values().entrySet()) {
                    all.add(e.getValue().whenComplete((v, t) -> {
                        boolean exists = t instanceof TopicExistsException
                                || (t != null && t.getCause() instanceof TopicExistsException);
                        if (t != null && !exists) {
                            failed.incrementAndGet();
                            firstFailure.compareAndSet(null, t);
                        }
                    }));
                }
                KafkaFuture.allOf(all.subList(all.size() - req.size(), all.size()).toArray(new KafkaFuture[0]))
                        .whenComplete((v, t) -> slots.release());
                int done = Math.min(names.size(), from + batch);
                if (done % 1000 == 0 || done == names.size()) {
                    long now = System.nanoTime();
                    System.out.printf("create: %d topics requested, %.2f s since the previous line%n", done,
                            (now - lastMark) / 1e9);
                    lastMark = now;
                }
            }
            for (KafkaFuture<Void> f : all) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    // counted above
                }
            }
        }
        double s = (System.nanoTime() - start) / 1e9;
        System.out.printf("create_topics topics=%d partitions=%d failed=%d seconds=%.2f per_topic_ms=%.2f%n",
                names.size(), names.size() * partitions, failed.get(), s, s * 1000 / names.size());
        if (firstFailure.get() != null) {
            System.out.println("first failure: " + firstFailure.get());
        }
        return failed.get() == 0;
    }

    private static boolean produceAndReadBack(String bootstrap, List<String> names, int partitions) throws Exception {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "300000");
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "60000");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "300000");
        int total = names.size() * partitions;
        AtomicInteger acked = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        long start = System.nanoTime();
        // send() blocks until the producer has its topic's metadata; from one thread that is one Metadata round trip
        // per topic in turn. SENDERS threads per producer wait together, and the producer asks for all the topics
        // they wait for in one request. A producer's work per metadata update and per send loop grows with the
        // partitions it knows, so PRODUCERS producers share the topics (topic i goes to producer i % PRODUCERS).
        List<KafkaProducer<byte[], byte[]>> producers = new ArrayList<>();
        ExecutorService senders = Executors.newFixedThreadPool(PRODUCERS * SENDERS);
        try {
            for (int k = 0; k < PRODUCERS; k++) {
                producers.add(new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer()));
            }
            List<Future<?>> sending = new ArrayList<>();
            int threads = PRODUCERS * SENDERS;
            for (int s = 0; s < threads; s++) {
                int slice = s;
                KafkaProducer<byte[], byte[]> producer = producers.get(s % PRODUCERS);
                sending.add(senders.submit(() -> {
                    for (int i = slice; i < names.size(); i += threads) {
                        String n = names.get(i);
                        for (int q = 0; q < partitions; q++) {
                            producer.send(new ProducerRecord<>(n, q, null, (n + "-" + q).getBytes()), (m, e) -> {
                                if (e == null) {
                                    acked.incrementAndGet();
                                } else {
                                    failed.incrementAndGet();
                                }
                            });
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : sending) {
                f.get();
            }
            producers.forEach(KafkaProducer::flush);
        } finally {
            senders.shutdown();
            producers.forEach(KafkaProducer::close);
        }
        System.out.printf("produce_one_per_partition partitions=%d acked=%d failed=%d seconds=%.2f%n", total,
                acked.get(), failed.get(), (System.nanoTime() - start) / 1e9);

        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "10000");
        c.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, "60000");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            long m0 = System.nanoTime();
            int listed = consumer.listTopics(Duration.ofSeconds(60)).size();
            System.out.printf("metadata_all_topics topics=%d seconds=%.3f%n", listed, (System.nanoTime() - m0) / 1e9);
            List<TopicPartition> tps = new ArrayList<>();
            for (String n : names) {
                for (int q = 0; q < partitions; q++) {
                    tps.add(new TopicPartition(n, q));
                }
            }
            long r0 = System.nanoTime();
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            Set<String> seen = new HashSet<>();
            long deadline = System.currentTimeMillis() + 300_000;
            while (seen.size() < acked.get() && System.currentTimeMillis() < deadline) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(500));
                records.forEach(r -> seen.add(new String(r.value())));
            }
            System.out.printf("read_back records=%d of %d seconds=%.2f%n", seen.size(), acked.get(),
                    (System.nanoTime() - r0) / 1e9);
            return failed.get() == 0 && acked.get() == total && seen.size() == total;
        }
    }
}
