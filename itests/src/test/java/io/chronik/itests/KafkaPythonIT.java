package io.chronik.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.AfterClass;
import org.junit.Assume;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * kafka-python (Debian's python3-kafka; .ci/run installs it): admin, producer, and a consumer group that commits and
 * resumes — a third client implementation with its own choice of API versions.
 */
public class KafkaPythonIT {
    private static final String PYTHON = "/usr/bin/python3";
    private static Broker broker;

    @BeforeClass
    public static void startBroker() throws Exception {
        boolean present = Files.isExecutable(Path.of(PYTHON))
                && new ProcessBuilder(PYTHON, "-c", "import kafka").start().waitFor() == 0;
        if (System.getenv("CI") != null) {
            assertTrue("kafka-python must be installed in CI (.ci/run installs python3-kafka)", present);
        }
        Assume.assumeTrue("kafka-python is not installed", present);
        broker = Broker.start(GroupSupport.fastGroupsDistribution());
    }

    @AfterClass
    public static void stopBroker() throws Exception {
        if (broker != null) {
            broker.close();
        }
    }

    private static String python(String script) throws IOException, InterruptedException {
        Path file = Files.createTempFile("kafka-python", ".py");
        Files.writeString(file, script);
        Process p = new ProcessBuilder(PYTHON, file.toString(), broker.bootstrap()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue("kafka-python ended", p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(out, 0, p.exitValue());
        return out;
    }

    @Test
    public void produceConsumeInAGroupCommitAndResume() throws Exception {
        String out = python(String.join("\n",
                "import sys",
                "from kafka import KafkaProducer, KafkaConsumer, KafkaAdminClient",
                "from kafka.admin import NewTopic",
                "bootstrap = sys.argv[1]",
                "admin = KafkaAdminClient(bootstrap_servers=bootstrap)",
                "admin.create_topics([NewTopic('py-topic', 3, 1)])",
                "producer = KafkaProducer(bootstrap_servers=bootstrap)",
                "for i in range(30):",
                "    producer.send('py-topic', key=str(i).encode(), value=('v%d' % i).encode())",
                "producer.flush()",
                "def consumer():",
                "    return KafkaConsumer('py-topic', bootstrap_servers=bootstrap, group_id='py-group',",
                "                         auto_offset_reset='earliest', enable_auto_commit=False, consumer_timeout_ms=8000)",
                "c = consumer()",
                "seen = set()",
                "for m in c:",
                "    seen.add(m.value)",
                "    if len(seen) == 20:",
                "        break",
                "c.commit()",
                "c.close()",
                "c = consumer()",
                "rest = [m.value for m in c]",
                "c.close()",
                "print('first', len(seen), 'rest', len(rest), 'overlap', len(seen & set(rest)), 'all', len(seen | set(rest)))",
                "print('listed', [g for g, _ in admin.list_consumer_groups()])",
                "offsets = admin.list_consumer_group_offsets('py-group')",
                "print('committed', sum(o.offset for o in offsets.values()))",
                ""));
        assertTrue(out, out.contains("overlap 0 all 30"));
        assertTrue(out, out.contains("listed ['py-group']"));
        // the second consumer did not commit: what the group has is the first one's 20 records
        assertTrue(out, out.contains("committed 20"));
    }
}
