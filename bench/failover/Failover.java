import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The failover benchmark (docs/PERFORMANCE.md, "Failover time (issue 15)"): how long after a SIGKILL of a partition's
 * leader the first write sent after the kill is acknowledged (acks=all), with the Java client's default settings.
 * <ol>
 * <li>creates a one-partition topic of replication factor 3 and starts one producer (default settings: acks=all,
 * idempotent, default retries, backoffs and metadata ages) that sends one record every {@code INTERVAL_MS},
 * remembering the send time and the acknowledgement of each;</li>
 * <li>per kill: finds the partition's leader (AdminClient describeTopics), reads that node's JVM pid from
 * {@code PIDDIR/node<id>.pid} and kills it with SIGKILL ({@code ProcessHandle.destroyForcibly}), prints the time from
 * the kill to the acknowledgement of the first record sent after it and which node acknowledged it; then prints
 * {@code RESTART <id>} on stdout (run.sh restarts that node from the same data directory and rewrites its pid file)
 * and waits until the node listens again, is back in the partition's in-sync replicas and every record sent so far
 * is acknowledged;</li>
 * <li>prints the samples' median and maximum, then reads the topic from the beginning and checks that every
 * acknowledged record is there ({@code lost=0}); duplicates are counted too.</li>
 * </ol>
 * {@code java -cp "$HOME/.cache/kafka-baseline/lib/*" Failover.java BOOTSTRAP PIDDIR [KILLS] [INTERVAL_MS] [TOPIC]}.
 * Exit code 1 if a kill had no acknowledged write within 60 s, a send failed or an acknowledged record is missing.
 * Diagnostics go to stderr; lines for run.sh ({@code RESTART <id>}) and results go to stdout.
 */
public class Failover {
    /** Records a run can send (one every INTERVAL_MS: 5 ms gives 83 minutes); send and acknowledgement times. */
    private static final int MAX_RECORDS = 1_000_000;
    private static final long[] sentAt = new long[MAX_RECORDS];
    private static final long[] ackedAt = new long[MAX_RECORDS];
    private static final BitSet acked = new BitSet();
    private static final AtomicLong failed = new AtomicLong();
    private static final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();

    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        Path pidDir = Path.of(args[1]);
        int kills = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        int intervalMs = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        String topic = args.length > 4 ? args[4] : "failover";
        PrintStream out = System.out;
        Properties ap = new Properties();
        ap.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(ap)) {
            try {
                admin.createTopics(List.of(new NewTopic(topic, 1, (short) 3))).all().get(60, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            }
            waitFullIsr(admin, topic, -1);

            Properties pp = new Properties();
            pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            pp.put(ProducerConfig.ACKS_CONFIG, "all"); // the default since Kafka 3.0; stated for the reader
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong sent = new AtomicLong();
            KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(pp, new ByteArraySerializer(),
                    new ByteArraySerializer());
            Thread sender = new Thread(() -> {
                long next = System.nanoTime();
                while (!stop.get()) {
                    int seq = (int) sent.get();
                    if (seq >= MAX_RECORDS) {
                        break;
                    }
                    byte[] value = Integer.toString(seq).getBytes();
                    sentAt[seq] = System.nanoTime();
                    producer.send(new ProducerRecord<>(topic, 0, null, value), (m, e) -> {
                        long now = System.nanoTime();
                        if (e == null) {
                            synchronized (acked) {
                                ackedAt[seq] = now;
                                acked.set(seq);
                            }
                        } else {
                            failed.incrementAndGet();
                            failures.add(seq + ": " + e);
                        }
                    });
                    sent.incrementAndGet();
                    next += TimeUnit.MILLISECONDS.toNanos(intervalMs);
                    long sleep = next - System.nanoTime();
                    if (sleep > 0) {
                        try {
                            TimeUnit.NANOSECONDS.sleep(sleep);
                        } catch (InterruptedException ie) {
                            return;
                        }
                    } else {
                        next = System.nanoTime(); // fell behind (send blocked): no burst afterwards
                    }
                }
            }, "sender");
            sender.start();
            while (sent.get() < 200) {
                Thread.sleep(10);
            }
            awaitAcked(sent.get(), 60_000);

            List<Double> samples = new ArrayList<>();
            boolean ok = true;
            for (int k = 1; k <= kills; k++) {
                TopicPartitionInfo before = partition(admin, topic);
                int leader = before.leader() == null ? -1 : before.leader().id();
                long pid = Long.parseLong(Files.readString(pidDir.resolve("node" + leader + ".pid")).trim());
                int controller = admin.describeCluster().controller().get().id();
                int firstAfter = (int) sent.get();
                long kill = System.nanoTime();
                java.time.LocalTime killedAt = java.time.LocalTime.now(java.time.ZoneOffset.UTC);
                boolean killed = ProcessHandle.of(pid).map(ProcessHandle::destroyForcibly).orElse(false);
                if (!killed) {
                    out.printf("kill %d: node %d (pid %d) not running%n", k, leader, pid);
                    ok = false;
                    break;
                }
                while (firstAfter < sent.get() && sentAt[firstAfter] < kill) {
                    firstAfter++; // sentAt is written before sent is incremented: skip what was sent before the kill
                }
                // the first record sent after the kill that is acknowledged; records are acknowledged in order
                long deadline = kill + TimeUnit.SECONDS.toNanos(60);
                long firstAck = -1;
                int seq = firstAfter;
                while (System.nanoTime() < deadline && firstAck < 0) {
                    synchronized (acked) {
                        int s = acked.nextSetBit(firstAfter);
                        if (s >= 0) {
                            seq = s;
                            firstAck = ackedAt[s];
                        }
                    }
                    if (firstAck < 0) {
                        Thread.sleep(1);
                    }
                }
                if (firstAck < 0) {
                    out.printf("kill %d: node %d, no acknowledged write within 60 s%n", k, leader);
                    ok = false;
                    break;
                }
                double ms = (firstAck - kill) / 1e6;
                samples.add(ms);
                TopicPartitionInfo after = partition(admin, topic);
                out.printf("kill %d at %s: leader %d killed (metadata leader %d), first write after the kill acknowledged "
                        + "after %.0f ms (record %d, sent %.0f ms after the kill); new leader %s%n", k, killedAt, leader,
                        controller, ms, seq, (sentAt[seq] - kill) / 1e6,
                        after.leader() == null ? "none" : after.leader().id());
                out.println("RESTART " + leader);
                out.flush();
                // the ISR in the metadata may still name the killed node (not yet shrunk): first wait until the
                // restarted node listens again (its Kafka listener opens last, once its Raft server runs)
                for (int attempt = 1; !waitListening(before.leader().host(), before.leader().port()); attempt++) {
                    // seen once: the restarted node could not bind its Kafka port ("Address already in use": these
                    // ports lie in Linux' ephemeral range, so a client's reconnect can briefly hold it) and stays
                    // without a listener; run.sh kills and starts it again
                    if (attempt == 3) {
                        throw new IllegalStateException("node " + leader + " does not listen after 3 restarts");
                    }
                    out.printf("node %d not listening 60 s after its restart; restarting it again%n", leader);
                    out.println("RESTART " + leader);
                    out.flush();
                }
                waitFullIsr(admin, topic, leader);
                awaitAcked(sent.get(), 120_000);
                Thread.sleep(2000); // let the restarted node settle (catch up, leader balance) before the next kill
            }
            stop.set(true);
            sender.join();
            producer.close(Duration.ofSeconds(120));
            if (!samples.isEmpty()) {
                List<Double> sorted = new ArrayList<>(samples);
                Collections.sort(sorted);
                double median = sorted.size() % 2 == 1 ? sorted.get(sorted.size() / 2)
                        : (sorted.get(sorted.size() / 2 - 1) + sorted.get(sorted.size() / 2)) / 2;
                StringBuilder all = new StringBuilder();
                for (double s : samples) {
                    all.append(all.length() == 0 ? "" : " ").append(Math.round(s));
                }
                out.printf("failover_ms samples=[%s]%n", all);
                out.printf("failover kills=%d median_ms=%.0f max_ms=%.0f over_2s=%d over_5s=%d%n", samples.size(),
                        median, sorted.get(sorted.size() - 1), samples.stream().filter(s -> s > 2000).count(),
                        samples.stream().filter(s -> s > 5000).count());
            }
            ok &= verify(bootstrap, topic, (int) sent.get(), out);
            System.exit(ok ? 0 : 1);
        }
    }

    private static TopicPartitionInfo partition(Admin admin, String topic) throws Exception {
        TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic);
        return d.partitions().get(0);
    }

    /** Waits until the partition has a leader and all three replicas in sync ({@code node} among them, if >= 0). */
    private static void waitFullIsr(Admin admin, String topic, int node) throws Exception {
        long deadline = System.currentTimeMillis() + 180_000;
        while (System.currentTimeMillis() < deadline) {
            try {
                TopicPartitionInfo p = partition(admin, topic);
                if (p.leader() != null && p.leader().id() >= 0 && p.isr().size() == 3
                        && (node < 0 || p.isr().stream().mapToInt(Node::id).anyMatch(i -> i == node))) {
                    return;
                }
            } catch (Exception e) {
                System.err.println("describeTopics: " + e);
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("replicas of " + topic + " not back in sync within 180 s");
    }

    /** Waits up to 60 s until a TCP connection to host:port succeeds. */
    private static boolean waitListening(String host, int port) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline) {
            try (java.net.Socket s = new java.net.Socket()) {
                s.connect(new java.net.InetSocketAddress(host, port), 1000);
                return true;
            } catch (java.io.IOException e) {
                Thread.sleep(200);
            }
        }
        return false;
    }

    /** Waits until every record below {@code upTo} is acknowledged (or failed). */
    private static void awaitAcked(long upTo, long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            int done;
            synchronized (acked) {
                done = acked.cardinality();
            }
            if (done + failed.get() >= upTo) {
                return;
            }
            Thread.sleep(50);
        }
    }

    /** Reads the topic from the start: every acknowledged record must be there. */
    private static boolean verify(String bootstrap, String topic, int sent, PrintStream out) {
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        BitSet seen = new BitSet();
        long duplicates = 0;
        long read = 0;
        TopicPartition tp = new TopicPartition(topic, 0);
        int ackedCount;
        synchronized (acked) {
            ackedCount = acked.cardinality();
        }
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp), Duration.ofSeconds(60)).get(tp);
            long deadline = System.currentTimeMillis() + 120_000;
            while (consumer.position(tp) < end && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    int seq = Integer.parseInt(new String(r.value()));
                    read++;
                    if (seen.get(seq)) {
                        duplicates++;
                    }
                    seen.set(seq);
                }
            }
        }
        BitSet lost = (BitSet) acked.clone();
        lost.andNot(seen);
        out.printf("verify sent=%d acked=%d failed=%d read=%d duplicates=%d lost=%d%n", sent, ackedCount,
                failed.get(), read, duplicates, lost.cardinality());
        for (String f : failures.stream().limit(5).toList()) {
            out.println("failed send " + f);
        }
        return lost.isEmpty() && failed.get() == 0 && ackedCount > 0;
    }
}
