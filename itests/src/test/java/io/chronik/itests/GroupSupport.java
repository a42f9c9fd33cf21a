package io.chronik.itests;

import static org.junit.Assert.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * What the consumer-group tests share: a distribution copy whose coordinator settings are changed through
 * {@code conf/config/io.chronik.protocol.kafka.cfg} (as an operator would), topics, records, bounded waits, and
 * {@link Member}, a group member that records what it processed and committed.
 */
final class GroupSupport {
    static final String KAFKA_CFG = "conf/config/io.chronik.protocol.kafka.cfg";

    private GroupSupport() {
    }

    /** A fresh copy of the distribution with {@code settings} appended to the Kafka listener's configuration. */
    static Path distributionWith(Map<String, String> settings) throws IOException {
        Path home = ChronikProcess.copyDistribution();
        configure(home, settings);
        return home;
    }

    /**
     * A fresh copy of the distribution whose first rebalance of an empty group does not wait for more members
     * ({@code group.initial.rebalance.delay.ms=0}), so that tests do not spend Kafka's default 3 s on every new group.
     */
    static Path fastGroupsDistribution() throws IOException {
        return distributionWith(Map.of("group.initial.rebalance.delay.ms", "0"));
    }

    /**
     * Sets {@code key=value} in the copied distribution's {@code io.chronik.protocol.kafka.cfg}: a line that sets one of
     * the keys already is removed, and the settings are appended.
     */
    static void configure(Path home, Map<String, String> settings) throws IOException {
        Path cfg = home.resolve(KAFKA_CFG);
        List<String> lines = new ArrayList<>();
        for (String line : Files.readAllLines(cfg, StandardCharsets.UTF_8)) {
            String key = line.split("[=:]", 2)[0].trim();
            if (!settings.containsKey(key)) {
                lines.add(line);
            }
        }
        lines.add("# set by the integration tests");
        settings.forEach((k, v) -> lines.add(k + "=" + v));
        Files.write(cfg, lines, StandardCharsets.UTF_8);
    }

    static void createTopic(Admin admin, String topic, int partitions) throws Exception {
        admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
    }

    /** Record {@code i} of a test: key {@code "<prefix>-i"} on partition {@code i % partitions}. */
    static String key(String prefix, int i) {
        return prefix + "-" + i;
    }

    /** Produces records {@code from..to-1} to {@code topic}, record {@code i} on partition {@code i % partitions}. */
    static void produce(Broker broker, String topic, int partitions, int from, int to) throws Exception {
        ConcurrentLinkedQueue<Exception> errors = new ConcurrentLinkedQueue<>();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(broker.producerConfig())) {
            for (int i = from; i < to; i++) {
                byte[] k = key(topic, i).getBytes(StandardCharsets.UTF_8);
                producer.send(new ProducerRecord<>(topic, i % partitions, k, k), (m, e) -> {
                    if (e != null) {
                        errors.add(e);
                    }
                });
            }
            producer.flush();
        }
        assertTrue("produce errors: " + errors, errors.isEmpty());
    }

    /** Produces {@code counts[p]} records to each partition {@code p}; keys are {@code "<topic>-p-n"}. */
    static void producePerPartition(Broker broker, String topic, int... counts) throws Exception {
        ConcurrentLinkedQueue<Exception> errors = new ConcurrentLinkedQueue<>();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(broker.producerConfig())) {
            for (int p = 0; p < counts.length; p++) {
                for (int n = 0; n < counts[p]; n++) {
                    byte[] k = (topic + "-" + p + "-" + n).getBytes(StandardCharsets.UTF_8);
                    producer.send(new ProducerRecord<>(topic, p, k, k), (m, e) -> {
                        if (e != null) {
                            errors.add(e);
                        }
                    });
                }
            }
            producer.flush();
        }
        assertTrue("produce errors: " + errors, errors.isEmpty());
    }

    static Set<TopicPartition> partitions(String topic, int count) {
        Set<TopicPartition> tps = new HashSet<>();
        for (int p = 0; p < count; p++) {
            tps.add(new TopicPartition(topic, p));
        }
        return tps;
    }

    /** Waits, polling every 100 ms, until {@code condition} holds; fails with {@code state} otherwise. */
    static void await(String what, Duration timeout, Callable<Boolean> condition, Supplier<String> state) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.call()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what + ": " + state.get());
            }
            Thread.sleep(100);
        }
    }

    /** Polls every member in turn (100 ms each) until {@code condition} holds; fails with the members' state otherwise. */
    static void pollUntil(String what, Duration timeout, Collection<Member> members, Callable<Boolean> condition) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            for (Member m : members) {
                m.poll();
            }
            if (condition.call()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                StringBuilder state = new StringBuilder();
                for (Member m : members) {
                    state.append("\n  ").append(m);
                }
                throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what + state);
            }
        }
    }

    /** True when the members' assignments are non-empty, pairwise disjoint and together exactly {@code all}. */
    static boolean balanced(Collection<Member> members, Set<TopicPartition> all) {
        Set<TopicPartition> union = new HashSet<>();
        int total = 0;
        for (Member m : members) {
            Set<TopicPartition> a = m.assignment();
            if (a.isEmpty()) {
                return false;
            }
            union.addAll(a);
            total += a.size();
        }
        return total == union.size() && union.equals(all);
    }

    /** One processed record: where it was and which member processed it. */
    record Processed(String member, int partition, long offset, String key) {
    }

    /**
     * A group member of the Java consumer, polled by the test thread. It records every record it processed and, in
     * manual-commit mode, commits synchronously after processing each batch.
     */
    static final class Member implements AutoCloseable {
        final String name;
        final KafkaConsumer<byte[], byte[]> consumer;
        final boolean commitAfterEachBatch;
        final List<Processed> processed = new ArrayList<>();
        final List<String> events = new ArrayList<>();
        private boolean closed;

        Member(Broker broker, String name, String group, String topic, boolean commitAfterEachBatch, Properties overrides) {
            this.name = name;
            this.commitAfterEachBatch = commitAfterEachBatch;
            Properties p = broker.consumerConfig();
            p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
            p.put(ConsumerConfig.CLIENT_ID_CONFIG, name);
            p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            // learn of rebalances quickly; the broker's minimum session timeout is 6 s
            p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "500");
            p.putAll(overrides);
            consumer = new KafkaConsumer<>(p);
            consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    events.add("revoked " + new TreeSet<>(partitions.stream().map(TopicPartition::partition).toList()));
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    events.add("assigned " + new TreeSet<>(partitions.stream().map(TopicPartition::partition).toList()));
                }
            });
        }

        /** One poll of 100 ms; then, in manual-commit mode, a synchronous commit of what it returned. */
        List<ConsumerRecord<byte[], byte[]>> poll() {
            List<ConsumerRecord<byte[], byte[]>> batch = new ArrayList<>();
            consumer.poll(Duration.ofMillis(100)).forEach(batch::add);
            Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
            for (ConsumerRecord<byte[], byte[]> r : batch) {
                processed.add(new Processed(name, r.partition(), r.offset(), new String(r.key(), StandardCharsets.UTF_8)));
                commit.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
            }
            if (commitAfterEachBatch && !commit.isEmpty()) {
                consumer.commitSync(commit);
            }
            return batch;
        }

        Set<TopicPartition> assignment() {
            return consumer.assignment();
        }

        Set<Integer> assignedPartitions() {
            return new TreeSet<>(consumer.assignment().stream().map(TopicPartition::partition).toList());
        }

        @Override
        public String toString() {
            return name + " assigned " + assignedPartitions() + ", processed " + processed.size() + ", events " + events;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(10)));
            }
        }
    }

    /** A child JVM of the test class path: {@code java -cp <class path> mainClass args}, its output collected. */
    static final class ChildJvm implements AutoCloseable {
        final Process process;
        private final List<String> stdout = new ArrayList<>();
        private final StringBuilder stderr = new StringBuilder();

        private ChildJvm(Process process) {
            this.process = process;
            Thread out = new Thread(() -> drain(process.getInputStream(), stdout, null), "child-stdout");
            Thread err = new Thread(() -> drain(process.getErrorStream(), null, stderr), "child-stderr");
            out.setDaemon(true);
            err.setDaemon(true);
            out.start();
            err.start();
        }

        static ChildJvm start(String mainClass, String... args) throws IOException {
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.add("-Xmx256m");
            command.add("-cp");
            command.add(System.getProperty("java.class.path"));
            command.add(mainClass);
            command.addAll(List.of(args));
            return new ChildJvm(new ProcessBuilder(command).start());
        }

        private void drain(java.io.InputStream in, List<String> lines, StringBuilder text) {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    synchronized (this) {
                        if (lines != null) {
                            lines.add(line);
                        } else {
                            text.append(line).append('\n');
                        }
                    }
                }
            } catch (IOException ignored) {
                // the process ended
            }
        }

        synchronized List<String> lines() {
            return new ArrayList<>(stdout);
        }

        synchronized String stderr() {
            return stderr.toString();
        }

        /** SIGKILL: no shutdown hook, no LeaveGroup, no last commit. */
        void kill() throws InterruptedException {
            process.destroyForcibly().waitFor();
        }

        @Override
        public void close() throws InterruptedException {
            if (process.isAlive()) {
                process.destroyForcibly().waitFor();
            }
        }
    }
}
