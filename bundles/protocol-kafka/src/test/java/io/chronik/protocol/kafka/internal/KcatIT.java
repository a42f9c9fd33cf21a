package io.chronik.protocol.kafka.internal;

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

/** librdkafka (through kcat, when installed) against the server over the in-memory cluster. */
public class KcatIT {
    private static InMemoryCluster cluster;
    private static KafkaServer server;

    @BeforeClass
    public static void start() throws Exception {
        boolean present = new ProcessBuilder("sh", "-c", "command -v kcat").start().waitFor() == 0;
        Assume.assumeTrue("kcat is not installed", present);
        cluster = new InMemoryCluster(1);
        server = new KafkaServer(ServerSettings.defaults(":0"), () -> cluster, () -> cluster);
        server.start();
        cluster.setPort(server.port());
    }

    @AfterClass
    public static void stop() {
        if (server != null) {
            server.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private static String kcat(String input, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("kcat", "-b", "localhost:" + server.port()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (input != null) {
            p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue("kcat " + String.join(" ", args) + " ended", p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(out, 0, p.exitValue());
        return out;
    }

    @Test
    public void metadataProduceAndConsumeWithEveryCodec() throws Exception {
        kcat("one\ntwo\nthree\n", "-P", "-t", "kcat-topic", "-X", "enable.idempotence=true");
        String metadata = kcat(null, "-L");
        assertTrue(metadata, metadata.contains("topic \"kcat-topic\" with 1 partitions"));
        assertTrue(metadata, metadata.contains("1 brokers:"));
        assertEquals("one\ntwo\nthree\n", kcat(null, "-C", "-t", "kcat-topic", "-o", "beginning", "-e", "-q"));
        for (String codec : List.of("gzip", "snappy", "lz4", "zstd")) {
            kcat("x-" + codec + "\ny-" + codec + "\n", "-P", "-t", "kcat-" + codec, "-z", codec);
            assertEquals("x-" + codec + "\ny-" + codec + "\n",
                    kcat(null, "-C", "-t", "kcat-" + codec, "-o", "beginning", "-e", "-q"));
        }
        // offsets by timestamp (ListOffsets) and from the end
        assertEquals("three\n", kcat(null, "-C", "-t", "kcat-topic", "-o", "-1", "-e", "-q"));
    }
}
