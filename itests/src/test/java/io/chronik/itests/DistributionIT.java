package io.chronik.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.BeforeClass;
import org.junit.Test;

/** {@code bin/chronik} as an operator uses it: started as a separate process from a copy of the distribution. */
public class DistributionIT {
    private static Path home;

    @BeforeClass
    public static void copyDistribution() throws Exception {
        home = ChronikProcess.copyDistribution();
    }

    private static String[] startArgs(Path dataDir, int metricsPort, String... extra) {
        Stream<String> base = Stream.of("start", "--data-dir", dataDir.toString(),
                "--kafka-addr", "127.0.0.1:" + ContainerSupport.freePort(),
                "--raft-addr", "127.0.0.1:" + ContainerSupport.freePort(),
                "--metrics-addr", "127.0.0.1:" + metricsPort);
        return Stream.concat(base, Stream.of(extra)).toArray(String[]::new);
    }

    @Test
    public void startsServesMetricsReportsStatusAndStopsCleanlyOnSigterm() throws Exception {
        Path dataDir = Files.createTempDirectory("chronik-data");
        int metricsPort = ContainerSupport.freePort();
        try (ChronikProcess node = ChronikProcess.run(home, startArgs(dataDir, metricsPort))) {
            String started = node.awaitLine("started in", 30_000);
            assertTrue(started, started.contains("node 1"));

            HttpResponse<String> metrics = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, metrics.statusCode());
            assertTrue(metrics.body(), metrics.body().contains("chronik_build_info{version=\"0.1.0-SNAPSHOT\""));
            assertTrue(metrics.body(), metrics.body().contains("jvm_threads_current"));

            ChronikProcess status = ChronikProcess.runToEnd(home, "status", "--data-dir", dataDir.toString());
            assertEquals(status.output(), 0, status.exitCode());
            assertTrue(status.output(), status.output().startsWith("status: healthy"));
            assertTrue(status.output(), status.output().matches("(?s).*ACTIVE\\s+io\\.chronik\\.archive .*"));
            assertTrue(status.output(), status.output().contains("ACTIVE         io.chronik.compression.zstd"));

            // objects written under the data directory by the configured local store
            assertTrue(Files.isDirectory(dataDir.resolve("objects")));

            node.terminate();
            assertTrue("stops within 30 s", node.process.waitFor(30, TimeUnit.SECONDS));
            assertEquals(node.output(), 143, node.exitCode());
            node.awaitLine("stopped", 1_000);
            assertFalse(node.output(), node.output().contains("Exception"));
            assertFalse(Files.exists(dataDir.resolve("admin.sock")));
        }
        ChronikProcess status = ChronikProcess.runToEnd(home, "status", "--data-dir", dataDir.toString());
        assertEquals(1, status.exitCode());
        assertTrue(status.output(), status.output().startsWith("chronik: no running node answers"));
    }

    @Test
    public void badFlagExitsWithUsageErrorAndOneLine() throws Exception {
        ChronikProcess p = ChronikProcess.runToEnd(home, "start", "--no-such-flag", "x");
        assertEquals(2, p.exitCode());
        assertEquals("chronik: unknown flag --no-such-flag (see --help)", p.output());
        p = ChronikProcess.runToEnd(home, "start", "--node-id", "minus-one");
        assertEquals(2, p.exitCode());
        assertEquals("chronik: --node-id 'minus-one' is not a non-negative integer", p.output());
    }

    @Test
    public void helpDocumentsEveryFlag() throws Exception {
        ChronikProcess p = ChronikProcess.runToEnd(home, "--help");
        assertEquals(0, p.exitCode());
        for (String flag : new String[] {"--node-id", "--kafka-addr", "--advertised-addr", "--raft-addr", "--peers",
                "--data-dir", "--metrics-addr", "--object-store", "CHRONIK_CLUSTER_PEERS", "CHRONIK_DATA_DIR"}) {
            assertTrue(flag, p.output().contains(flag));
        }
    }

    @Test
    public void portInUseIsAOneLineStartupError() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            ChronikProcess p = ChronikProcess.runToEnd(home, startArgs(Files.createTempDirectory("chronik-data"), port));
            assertEquals(p.output(), 1, p.exitCode());
            assertTrue(p.output(), p.output().endsWith("chronik: cannot listen on 127.0.0.1:" + port
                    + " (--metrics-addr): Address already in use"));
        }
    }

    @Test
    public void unusableDataDirectoryIsAOneLineStartupError() throws Exception {
        Path file = Files.createTempFile("chronik", ".file");
        ChronikProcess p = ChronikProcess.runToEnd(home, startArgs(file.resolve("data"), ContainerSupport.freePort()));
        assertEquals(p.output(), 1, p.exitCode());
        assertTrue(p.output(), p.output().startsWith("chronik: data directory " + file.resolve("data") + " cannot be created"));
        assertEquals(p.output(), 1, p.output().lines().count());
    }

    @Test
    public void secondNodeOnTheSameDataDirectoryIsRefused() throws Exception {
        Path dataDir = Files.createTempDirectory("chronik-data");
        try (ChronikProcess first = ChronikProcess.run(home, startArgs(dataDir, ContainerSupport.freePort()))) {
            first.awaitLine("started in", 30_000);
            ChronikProcess second = ChronikProcess.runToEnd(home, startArgs(dataDir, ContainerSupport.freePort()));
            assertEquals(1, second.exitCode());
            assertTrue(second.output(), second.output().contains("is in use by another Chronik process"));
        }
    }

    @Test
    public void aBundleDroppedIntoDeployStartsAndStopsWhenRemoved() throws Exception {
        Path ownHome = ChronikProcess.copyDistribution();
        Path jar;
        try (Stream<Path> files = Files.list(ownHome.resolve("bundle"))) {
            jar = files.filter(p -> p.getFileName().toString().startsWith("io.chronik.archive-")).findFirst().orElseThrow();
        }
        Path held = Files.move(jar, Files.createTempDirectory("held").resolve(jar.getFileName()));
        Path dataDir = Files.createTempDirectory("chronik-data");
        try (ChronikProcess node = ChronikProcess.run(ownHome, startArgs(dataDir, ContainerSupport.freePort()))) {
            node.awaitLine("started in", 30_000);
            assertFalse(status(ownHome, dataDir).contains("io.chronik.archive"));

            Files.copy(held, ownHome.resolve("deploy").resolve(held.getFileName()));
            awaitStatus(ownHome, dataDir, "ACTIVE     io.chronik.archive", true);

            Files.delete(ownHome.resolve("deploy").resolve(held.getFileName()));
            awaitStatus(ownHome, dataDir, "io.chronik.archive ", false);
        }
    }

    private static String status(Path home, Path dataDir) throws Exception {
        return ChronikProcess.runToEnd(home, "status", "--data-dir", dataDir.toString()).output();
    }

    private static void awaitStatus(Path home, Path dataDir, String text, boolean present) throws Exception {
        long deadline = System.currentTimeMillis() + 20_000;
        String last = "";
        while (System.currentTimeMillis() < deadline) {
            last = status(home, dataDir);
            if (last.contains(text) == present) {
                return;
            }
            Thread.sleep(300);
        }
        throw new AssertionError("status never " + (present ? "showed" : "dropped") + " '" + text + "':\n" + last);
    }
}
