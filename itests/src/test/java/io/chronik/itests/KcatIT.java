package io.chronik.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;

import org.junit.AfterClass;
import org.junit.Assume;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * librdkafka through kcat: metadata, produce to an auto-created topic, consume, and balanced consumer groups
 * ({@code kcat -G}). .ci/run installs kcat. The broker runs with the coordinator's defaults, Kafka's 3 s
 * {@code group.initial.rebalance.delay.ms} included.
 */
public class KcatIT {
    private static Broker broker;

    @BeforeClass
    public static void startBroker() throws Exception {
        boolean present = new ProcessBuilder("sh", "-c", "command -v kcat").start().waitFor() == 0;
        if (System.getenv("CI") != null) {
            assertTrue("kcat must be installed in CI (.ci/run installs it)", present);
        }
        Assume.assumeTrue("kcat is not installed", present);
        broker = Broker.start(ChronikProcess.copyDistribution());
    }

    @AfterClass
    public static void stopBroker() throws Exception {
        if (broker != null) {
            broker.close();
        }
    }

    private static String kcat(String input, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("kcat", "-b", broker.bootstrap()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (input != null) {
            p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue("kcat " + args[0] + " ended", p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(out, 0, p.exitValue());
        return out;
    }

    @Test
    public void metadataProduceAndConsume() throws Exception {
        kcat("one\ntwo\nthree\n", "-P", "-t", "kcat-topic");
        String metadata = kcat(null, "-L");
        assertTrue(metadata, metadata.contains("topic \"kcat-topic\" with 1 partitions"));
        assertTrue(metadata, metadata.contains("1 brokers:"));
        String consumed = kcat(null, "-C", "-t", "kcat-topic", "-o", "beginning", "-e", "-q");
        assertEquals("one\ntwo\nthree\n", consumed);
        for (String codec : List.of("gzip", "snappy", "lz4", "zstd")) {
            kcat("x-" + codec + "\n", "-P", "-t", "kcat-" + codec, "-z", codec);
            assertEquals("x-" + codec + "\n", kcat(null, "-C", "-t", "kcat-" + codec, "-o", "beginning", "-e", "-q"));
        }
    }

    /** kcat's stdout and stderr, apart: in group mode kcat reports rebalances and partition ends on stderr. */
    record KcatRun(List<String> args, int exit, String out, String err) {
        @Override
        public String toString() {
            return "kcat " + String.join(" ", args) + " (exit " + exit + ")\n--- stdout:\n" + out + "\n--- stderr:\n" + err;
        }
    }

    private static KcatRun kcatApart(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("kcat", "-b", broker.bootstrap()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).start();
        p.getOutputStream().close();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError("kcat " + String.join(" ", args) + " did not end in 60 s:\n" + out.join() + "\n" + err.join());
        }
        return new KcatRun(List.of(args), p.exitValue(), out.join(), err.join());
    }

    private static String readAll(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** Produces {@code count} records to each of {@code partitions} partitions with kcat, values "prefix-p-n". */
    private static Set<String> produceWithKcat(String topic, int partitions, String prefix, int count) throws Exception {
        Set<String> values = new HashSet<>();
        for (int p = 0; p < partitions; p++) {
            StringBuilder input = new StringBuilder();
            for (int n = 0; n < count; n++) {
                String v = prefix + "-" + p + "-" + n;
                values.add(v);
                input.append(v).append('\n');
            }
            kcat(input.toString(), "-P", "-t", topic, "-p", Integer.toString(p));
        }
        return values;
    }

    /** "partition offset value" lines (kcat -f '%p %o %s\n') to value -> partition, failing on a value seen twice. */
    private static Map<String, Integer> parseConsumed(String out, Map<String, Integer> into, String context) {
        for (String line : out.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String[] w = line.split(" ", 3);
            assertEquals("kcat output line '" + line + "' in " + context, 3, w.length);
            Integer earlier = into.put(w[2], Integer.parseInt(w[0]));
            assertTrue(w[2] + " consumed twice in " + context, earlier == null);
        }
        return into;
    }

    private static Map<TopicPartition, Long> committed(Admin admin, String group) throws Exception {
        Map<TopicPartition, Long> out = new HashMap<>();
        admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS)
                .forEach((tp, om) -> out.put(tp, om == null ? null : om.offset()));
        return out;
    }

    private static Map<TopicPartition, Long> each(String topic, int partitions, long offset) {
        Map<TopicPartition, Long> out = new HashMap<>();
        for (int p = 0; p < partitions; p++) {
            out.put(new TopicPartition(topic, p), offset);
        }
        return out;
    }

    /** A kcat -G member left running, its stdout lines collected as they come (-u: unbuffered). */
    private static final class RunningKcat implements AutoCloseable {
        final Process process;
        final List<String> lines = Collections.synchronizedList(new ArrayList<>());
        final StringBuffer err = new StringBuffer();

        RunningKcat(String... args) throws IOException {
            List<String> command = new ArrayList<>(List.of("kcat", "-b", broker.bootstrap()));
            command.addAll(List.of(args));
            process = new ProcessBuilder(command).start();
            process.getOutputStream().close();
            Thread out = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        lines.add(line);
                    }
                } catch (IOException ignored) {
                    // ended
                }
            });
            Thread errors = new Thread(() -> err.append(readAll(process.getErrorStream())));
            out.setDaemon(true);
            errors.setDaemon(true);
            out.start();
            errors.start();
        }

        /** SIGTERM, as an operator's Ctrl-C or kill: kcat closes its consumer, which commits and leaves the group. */
        void terminate() throws IOException, InterruptedException {
            new ProcessBuilder("kill", "-TERM", Long.toString(process.pid())).inheritIO().start().waitFor();
        }

        void awaitEnd() throws InterruptedException {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new AssertionError("kcat did not end on SIGTERM: " + err);
            }
            Thread.sleep(200); // let the reader drain the pipe
        }

        @Override
        public void close() throws InterruptedException {
            if (process.isAlive()) {
                process.destroyForcibly().waitFor();
            }
        }
    }

    @Test
    public void balancedConsumerGroupCommitsResumesAndSharesPartitions() throws Exception {
        String topic = "kcat-group-topic";
        String group = "kcat-group";
        String format = "%p %o %s\n";
        try (Admin admin = Admin.create(broker.adminConfig())) {
            admin.createTopics(List.of(new NewTopic(topic, 4, (short) 1))).all().get(30, TimeUnit.SECONDS);
            Set<String> before = produceWithKcat(topic, 4, "before", 10);

            // one member, -e: reads what was produced before from the beginning (no committed offset yet) and commits.
            // (Not -o beginning: kcat -G sets an -o offset on every partition it is assigned, committed offset or not.)
            String earliest = "auto.offset.reset=earliest";
            KcatRun first = kcatApart("-G", group, "-X", earliest, "-e", "-f", format, topic);
            assertEquals(first.toString(), 0, first.exit());
            Map<String, Integer> got = parseConsumed(first.out(), new HashMap<>(), first.toString());
            assertEquals(first.toString(), before, got.keySet());
            for (Map.Entry<String, Integer> e : got.entrySet()) {
                assertEquals(first.toString(), e.getKey().split("-")[1], Integer.toString(e.getValue()));
            }
            assertEquals("offsets committed by librdkafka on close", each(topic, 4, 10), committed(admin, group));

            // a second run of the group gets only what was produced since
            Set<String> since = produceWithKcat(topic, 4, "since", 2);
            KcatRun second = kcatApart("-G", group, "-X", earliest, "-e", "-f", format, topic);
            assertEquals(second.toString(), 0, second.exit());
            assertEquals(second.toString(), since, parseConsumed(second.out(), new HashMap<>(), second.toString()).keySet());
            assertEquals(each(topic, 4, 12), committed(admin, group));

            // two members at once share the partitions; each record goes to exactly one of them
            try (RunningKcat a = new RunningKcat("-G", group, "-X", earliest, "-u", "-f", format, topic);
                 RunningKcat b = new RunningKcat("-G", group, "-X", earliest, "-u", "-f", format, topic)) {
                ConsumerGroupDescription[] d = {null};
                GroupSupport.await("two kcat members sharing the 4 partitions", Duration.ofSeconds(60), () -> {
                    d[0] = admin.describeConsumerGroups(List.of(group)).all().get(30, TimeUnit.SECONDS).get(group);
                    Set<TopicPartition> union = new HashSet<>();
                    int total = 0;
                    for (MemberDescription m : d[0].members()) {
                        if (m.assignment().topicPartitions().isEmpty()) {
                            return false;
                        }
                        union.addAll(m.assignment().topicPartitions());
                        total += m.assignment().topicPartitions().size();
                    }
                    return d[0].groupState() == GroupState.STABLE && d[0].members().size() == 2 && union.size() == 4 && total == 4;
                }, () -> d[0] + "\nkcat a: " + a.err + "\nkcat b: " + b.err);
                assertEquals(d[0].toString(), "range", d[0].partitionAssignor());

                Set<String> shared = produceWithKcat(topic, 4, "shared", 10);
                GroupSupport.await("the two members to consume the 40 new records", Duration.ofSeconds(60),
                        () -> a.lines.size() + b.lines.size() >= 40, () -> "a: " + a.lines + "\nb: " + b.lines);
                // both at once, so that neither is handed the other's partitions while closing
                a.terminate();
                b.terminate();
                a.awaitEnd();
                b.awaitEnd();
                Map<String, Integer> byA = parseConsumed(String.join("\n", a.lines), new HashMap<>(), "kcat a: " + a.err);
                Map<String, Integer> byB = parseConsumed(String.join("\n", b.lines), new HashMap<>(), "kcat b: " + b.err);
                assertFalse("kcat a consumed nothing; b: " + byB, byA.isEmpty());
                assertFalse("kcat b consumed nothing; a: " + byA, byB.isEmpty());
                Set<String> both = new HashSet<>(byA.keySet());
                both.retainAll(byB.keySet());
                assertTrue("consumed by both members: " + both, both.isEmpty());
                Set<String> union = new HashSet<>(byA.keySet());
                union.addAll(byB.keySet());
                assertEquals(shared, union);
                Set<Integer> partitionsOfA = new HashSet<>(byA.values());
                partitionsOfA.retainAll(new HashSet<>(byB.values()));
                assertTrue("partitions read by both members: " + partitionsOfA, partitionsOfA.isEmpty());
            }
            assertEquals("offsets committed by both members as they closed", each(topic, 4, 22), committed(admin, group));

            String metadata = kcat(null, "-L");
            assertTrue(metadata, metadata.contains("topic \"" + topic + "\" with 4 partitions"));
        }
    }
}
