package io.chronik.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.TopicPartition;
import org.junit.Assume;
import org.junit.BeforeClass;
import org.junit.Rule;
import org.junit.Test;

/**
 * Follower reads with librdkafka, through confluent-kafka-python (Debian's python3-confluent-kafka; .ci/run installs
 * it): a consumer with {@code client.rack=r2} on three processes in racks r1, r2, r3 is sent to node 2 for a partition
 * node 1 leads — librdkafka's own statistics say so — and returns each record right after it was acknowledged.
 */
public class LibrdkafkaFollowerFetchIT {
    private static final String PYTHON = "/usr/bin/python3";
    private static final int RECORDS = 20;

    @Rule
    public final ProcessCluster cluster = new ProcessCluster(3).nodeArgs(FollowerFetchSupport::rackOf);

    @BeforeClass
    public static void requireConfluentKafka() throws Exception {
        boolean present = Files.isExecutable(Path.of(PYTHON))
                && new ProcessBuilder(PYTHON, "-c", "import confluent_kafka").start().waitFor() == 0;
        if (System.getenv("CI") != null) {
            assertTrue("confluent-kafka-python must be installed in CI (.ci/run installs python3-confluent-kafka)", present);
        }
        Assume.assumeTrue("confluent-kafka-python is not installed", present);
    }

    @Test
    public void aLibrdkafkaConsumerInR2FetchesFromNode2AndReadsItsWrites() throws Exception {
        cluster.start();
        List<TopicPartition> tps = FollowerFetchSupport.createLedByNode1(cluster, "rdkafka-near", 1);
        double before = FollowerFetchSupport.followerFetches(cluster, 2);
        String out = consumer(tps.get(0).topic(), "r2");

        assertTrue(out, out.contains("fetching from 2, leader 1\n"));
        for (int i = 0; i < RECORDS; i++) {
            // each record is returned, from node 2, after its acknowledgement
            assertTrue(out, out.matches("(?s).*\nryw " + i + " offset " + i + " received True from 2\n.*"));
        }
        assertTrue(out, out.contains("summary received " + RECORDS + "/" + RECORDS + " brokers [2] leader 1 errors [] read "
                + RECORDS + "\n"));
        FollowerFetchSupport.assertFollowerFetchesGrew(cluster, 2, before);
    }

    /** Runs the script with the cluster's bootstrap; returns what it printed once it ended with status 0. */
    private String consumer(String topic, String rack) throws Exception {
        Path script = Path.of(getClass().getResource("/librdkafka_rack_consumer.py").toURI());
        Path output = Files.createTempFile("librdkafka-rack", ".out");
        Process p = new ProcessBuilder(PYTHON, script.toString(), cluster.bootstrap(), topic, rack, Integer.toString(RECORDS))
                .redirectErrorStream(true).redirectOutput(output.toFile()).start();
        p.getOutputStream().close();
        boolean ended = p.waitFor(120, TimeUnit.SECONDS);
        if (!ended) {
            p.destroyForcibly().waitFor();
        }
        String out = Files.readString(output, StandardCharsets.UTF_8);
        Files.delete(output);
        System.out.println(out);
        assertTrue("the consumer script ended in 120 s:\n" + out, ended);
        assertEquals(out, 0, p.exitValue());
        return out;
    }
}
