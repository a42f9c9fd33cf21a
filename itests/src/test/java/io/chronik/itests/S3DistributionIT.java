package io.chronik.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;

/**
 * {@code bin/chronik start --object-store s3} against a real S3 server (s3proxy on jclouds' in-memory blob store,
 * started by the test on loopback, checking AWS signatures): the node starts with the archive on the S3 store; a
 * missing bucket, wrong credentials or no credentials at all stop the start with exit code 1 and one line. Credentials
 * reach the node the standard way, through AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
 */
public class S3DistributionIT {
    private static final String BUCKET = "chronik-it";
    private static final String ACCESS_KEY = S3Server.ACCESS_KEY;
    private static final String SECRET_KEY = S3Server.SECRET_KEY;

    @ClassRule
    public static final S3Server S3 = new S3Server(BUCKET);

    private static Path home;

    @BeforeClass
    public static void copyDistribution() throws Exception {
        home = ChronikProcess.copyDistribution();
    }

    private static String endpoint() {
        return S3.endpoint();
    }

    private static Map<String, String> aws(String accessKey, String secretKey) {
        return S3Server.aws(accessKey, secretKey);
    }

    private static String[] startArgs(Path dataDir, int metricsPort, String bucket) {
        return Stream.of("start", "--data-dir", dataDir.toString(),
                "--kafka-addr", "127.0.0.1:" + ContainerSupport.freePort(),
                "--raft-addr", "127.0.0.1:" + ContainerSupport.freePort(),
                "--metrics-addr", "127.0.0.1:" + metricsPort,
                "--object-store", "s3", "--s3-bucket", bucket, "--s3-endpoint", endpoint(),
                "--s3-path-style", "true", "--s3-region", "us-east-1", "--s3-key-prefix", "it-node").toArray(String[]::new);
    }

    @Test
    public void nodeStartsWithTheArchiveOnS3() throws Exception {
        Path dataDir = Files.createTempDirectory("chronik-data");
        int metricsPort = ContainerSupport.freePort();
        try (ChronikProcess node = ChronikProcess.run(aws(ACCESS_KEY, SECRET_KEY), home,
                startArgs(dataDir, metricsPort, BUCKET))) {
            node.awaitLine("started in", 60_000);
            node.awaitLine("archive bound to object store 's3'", 1_000);

            String metrics = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(metrics, metrics.contains("chronik_archive_store{store=\"s3\",} 1.0"));
            assertTrue(metrics, metrics.contains("chronik_archive_store_target_unmatched 0.0"));
            assertTrue(metrics, metrics.contains("chronik_s3_store_available{store=\"s3\",} 1.0"));
            assertTrue(metrics, metrics.contains("chronik_s3_operations_total{store=\"s3\",operation=\"check_bucket\",} 1.0"));

            ChronikProcess status = ChronikProcess.runToEnd(home, "status", "--data-dir", dataDir.toString());
            assertEquals(status.output(), 0, status.exitCode());
            assertTrue(status.output(), status.output().matches("(?s).*object stores:.*AVAILABLE\\s+s3 \\(io\\.chronik\\.storage\\.s3\\).*"));

            node.terminate();
            assertTrue("stops within 30 s", node.process.waitFor(30, TimeUnit.SECONDS));
        }
    }

    /**
     * At run time an unavailable S3 store is reported (status, metrics) but takes nothing away: a node on the local
     * store whose archive is switched to s3 keeps the local store until the bucket exists, then moves to s3.
     */
    @Test
    public void switchingTheArchiveToAnUnavailableS3StoreKeepsTheLocalStoreUntilTheBucketExists() throws Exception {
        Path ownHome = ChronikProcess.copyDistribution();
        Path dataDir = Files.createTempDirectory("chronik-data");
        int metricsPort = ContainerSupport.freePort();
        String bucket = "created-later";
        String[] args = startArgs(dataDir, metricsPort, bucket);
        args[java.util.Arrays.asList(args).indexOf("s3")] = "local"; // --object-store local, the S3 store configured
        try (ChronikProcess node = ChronikProcess.run(aws(ACCESS_KEY, SECRET_KEY), ownHome, args)) {
            node.awaitLine("started in", 60_000);
            String status = awaitStatus(ownHome, dataDir, "UNAVAILABLE    s3 (io.chronik.storage.s3): object store 's3'");
            assertTrue(status, status.startsWith("status: healthy")); // the node does not need that store
            assertTrue(status, status.contains("the bucket '" + bucket + "' does not exist"));
            assertTrue(metrics(metricsPort), metrics(metricsPort).contains("chronik_s3_store_available{store=\"s3\",} 0.0"));

            Path archiveConfig = ownHome.resolve("conf/config/io.chronik.archive.cfg");
            Files.writeString(archiveConfig, Files.readString(archiveConfig)
                    .replace("store.target=(store.name=${chronik.object.store})", "store.target=(store.name=s3)"));
            awaitMetric(metricsPort, "chronik_archive_store_target_unmatched 1.0");
            node.awaitLine("no object store matches (store.name=s3): the archive keeps using object store 'local'", 1_000);
            assertTrue(metrics(metricsPort).contains("chronik_archive_store{store=\"local\",} 1.0"));

            S3.blobStore().createContainerInLocation(null, bucket);
            awaitMetric(metricsPort, "chronik_archive_store{store=\"s3\",} 1.0"); // at the next check, within 16 s
            assertTrue(metrics(metricsPort).contains("chronik_archive_store_target_unmatched 0.0"));
            assertTrue(metrics(metricsPort).contains("chronik_s3_store_available{store=\"s3\",} 1.0"));
        }
    }

    private static String metrics(int port) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                .build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private static void awaitMetric(int port, String sample) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        String last = "";
        while (System.currentTimeMillis() < deadline) {
            last = metrics(port);
            if (last.contains(sample)) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("/metrics never showed '" + sample + "':\n" + last);
    }

    private static String awaitStatus(Path home, Path dataDir, String text) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        String last = "";
        while (System.currentTimeMillis() < deadline) {
            last = ChronikProcess.runToEnd(home, "status", "--data-dir", dataDir.toString()).output();
            if (last.contains(text)) {
                return last;
            }
            Thread.sleep(300);
        }
        throw new AssertionError("status never showed '" + text + "':\n" + last);
    }

    @Test
    public void missingBucketIsAOneLineStartupError() throws Exception {
        ChronikProcess p = ChronikProcess.runToEnd(aws(ACCESS_KEY, SECRET_KEY), home,
                startArgs(Files.createTempDirectory("chronik-data"), ContainerSupport.freePort(), "no-such-bucket"));
        assertEquals(p.output(), 1, p.exitCode());
        assertOneLine(p, "chronik: --object-store s3: object store 's3' (s3://no-such-bucket/it-node/ at " + endpoint()
                + "): the bucket 'no-such-bucket' does not exist");
    }

    @Test
    public void wrongOrMissingCredentialsAreAOneLineStartupError() throws Exception {
        ChronikProcess p = ChronikProcess.runToEnd(aws(ACCESS_KEY, "not-the-secret"), home,
                startArgs(Files.createTempDirectory("chronik-data"), ContainerSupport.freePort(), BUCKET));
        assertEquals(p.output(), 1, p.exitCode());
        assertOneLine(p, "chronik: --object-store s3: object store 's3' (s3://" + BUCKET + "/it-node/ at " + endpoint()
                + "): checking the bucket '" + BUCKET + "' failed: access denied: check the credentials");

        p = ChronikProcess.runToEnd(aws(null, null), home,
                startArgs(Files.createTempDirectory("chronik-data"), ContainerSupport.freePort(), BUCKET));
        assertEquals(p.output(), 1, p.exitCode());
        assertOneLine(p, "chronik: --object-store s3: object store 's3' (s3://" + BUCKET + "/it-node/ at " + endpoint()
                + "): checking the bucket '" + BUCKET + "' failed: no credentials: set AWS_ACCESS_KEY_ID and "
                + "AWS_SECRET_ACCESS_KEY");
    }

    /** The launcher's own output (stderr) is one line starting with {@code start}; the rest is the node's log. */
    private static void assertOneLine(ChronikProcess p, String start) {
        List<String> own = p.output().lines().filter(l -> l.startsWith("chronik: ")).toList();
        assertEquals(p.output(), 1, own.size());
        assertTrue(p.output(), own.get(0).startsWith(start));
    }
}
