package io.chronik.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.AfterClass;
import org.junit.Assume;
import org.junit.BeforeClass;
import org.junit.Test;

/** librdkafka through kcat: metadata, produce to an auto-created topic, consume. .ci/run installs kcat. */
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
}
