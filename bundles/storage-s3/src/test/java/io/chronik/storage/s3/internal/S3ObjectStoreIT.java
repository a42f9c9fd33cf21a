package io.chronik.storage.s3.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

import software.amazon.awssdk.services.s3.S3Client;

/**
 * What is particular to S3, against s3proxy: the bucket check at start (missing, created, denied, unreachable, each
 * with a message that says so), key prefixes that keep stores apart in one bucket, listing across many small pages,
 * and failed multipart uploads that leave no parts behind.
 */
public class S3ObjectStoreIT {
    private static S3Proxies server;

    @BeforeClass
    public static void startServer() throws Exception {
        server = S3Proxies.start();
    }

    @AfterClass
    public static void stopServer() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    private static S3Settings settings(Map<String, Object> properties) {
        return S3Settings.from(S3Proxies.config(properties));
    }

    @Test
    public void aMissingBucketIsReportedOrCreated() throws IOException {
        Map<String, Object> properties = server.properties("not-there");
        properties.put("create_bucket", false);
        try (S3ObjectStore store = new S3ObjectStore(settings(properties))) {
            store.checkBucket();
            fail("a missing bucket must fail the check");
        } catch (IOException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("the bucket 'not-there' does not exist"));
        }
        properties.put("create_bucket", true);
        try (S3ObjectStore store = new S3ObjectStore(settings(properties))) {
            store.checkBucket();
            store.put("k", new byte[] {1});
            assertEquals(1, store.size("k"));
            store.checkBucket(); // exists now: no second create
        }
    }

    @Test
    public void wrongCredentialsAreAccessDenied() throws IOException {
        Map<String, Object> properties = server.properties("denied");
        properties.put("secret_access_key", "wrong-secret");
        try (S3ObjectStore store = new S3ObjectStore(settings(properties))) {
            store.checkBucket();
            fail("wrong credentials must fail the check");
        } catch (IOException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("access denied"));
        }
        try (S3ObjectStore store = new S3ObjectStore(settings(properties))) {
            store.put("k", new byte[] {1});
            fail("wrong credentials must fail a put");
        } catch (IOException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("PUT 'k' failed: access denied"));
        }
    }

    @Test
    public void anUnreachableServerIsReportedAsSuch() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Map<String, Object> properties = server.properties("any");
        properties.put("endpoint", "http://127.0.0.1:" + port);
        properties.put("max_attempts", 1);
        try (S3ObjectStore store = new S3ObjectStore(settings(properties))) {
            store.size("k");
            fail("nobody listens");
        } catch (IOException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("HEAD 'k' failed: cannot reach the server"));
        }
    }

    @Test
    public void keyPrefixesKeepStoresApartInOneBucket() throws IOException {
        Map<String, Object> one = server.properties("shared");
        one.put("key_prefix", "/cluster-a/");
        Map<String, Object> two = server.properties("shared");
        two.put("key_prefix", "cluster-b");
        try (S3ObjectStore a = new S3ObjectStore(settings(one)); S3ObjectStore b = new S3ObjectStore(settings(two))) {
            a.checkBucket();
            a.put("snapshots/1", "a".getBytes(UTF_8));
            b.put("snapshots/1", "b".getBytes(UTF_8));
            b.put("snapshots/2", "b".getBytes(UTF_8));
            assertEquals(List.of("snapshots/1"), a.list(""));
            assertEquals(List.of("snapshots/1", "snapshots/2"), b.list("snap"));
            try (InputStream in = a.get("snapshots/1")) {
                assertEquals("a", new String(in.readAllBytes(), UTF_8));
            }
            assertTrue(b.delete("snapshots/1"));
            assertEquals(1, a.size("snapshots/1"));
        }
    }

    @Test
    public void listingFollowsContinuationTokensAcrossSmallPages() throws IOException {
        S3Settings settings = settings(server.properties("paged"));
        S3Client client = S3Clients.build(settings);
        try (S3ObjectStore store = new S3ObjectStore(settings, client, 7)) {
            store.checkBucket();
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                String key = "p/" + (char) ('a' + i % 26) + i;
                store.put(key, new byte[] {(byte) i});
                expected.add(key);
            }
            expected.sort(null);
            assertEquals(expected, store.list("p/"));
            assertEquals(expected, store.list(""));
        }
    }

    @Test
    public void operationsBytesAndFailuresAreCounted() throws IOException {
        try (S3ObjectStore store = new S3ObjectStore(settings(server.properties("counted")))) {
            store.checkBucket();
            store.put("a", new byte[100]);
            store.put("b", new java.io.ByteArrayInputStream(new byte[50]));
            try (InputStream in = store.get("a")) {
                in.readAllBytes();
            }
            assertEquals(10, store.get("b", 40, 100).length);
            try {
                store.size("missing");
                fail();
            } catch (io.chronik.api.store.ObjectNotFoundException expected) {
                // an answer, not a failure
            }
            S3Metrics metrics = store.metrics();
            assertEquals(2, metrics.count("put"));
            assertEquals(1, metrics.count("get"));
            assertEquals(1, metrics.count("ranged_get"));
            assertEquals(1, metrics.count("size"));
            assertEquals(0, metrics.failures("size"));
            assertEquals(150, metrics.bytesWritten());
            assertEquals(110, metrics.bytesRead());
        }
        Map<String, Object> denied = server.properties("counted");
        denied.put("secret_access_key", "wrong");
        try (S3ObjectStore store = new S3ObjectStore(settings(denied))) {
            try {
                store.list("");
                fail();
            } catch (IOException expected) {
                // denied
            }
            assertEquals(1, store.metrics().failures("list"));
        }
    }

    @Test
    public void aFailedMultipartUploadLeavesNoParts() throws IOException {
        S3Settings settings = settings(server.properties("multipart"));
        try (S3ObjectStore store = new S3ObjectStore(settings)) {
            store.checkBucket();
            int partSize = settings.partSize();
            InputStream failing = new InputStream() {
                private long position;

                @Override
                public int read() throws IOException {
                    if (position++ >= 2L * partSize + 100) {
                        throw new IOException("source failed");
                    }
                    return 7;
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    int n = 0;
                    while (n < len) {
                        b[off + n++] = (byte) read();
                    }
                    return n;
                }
            };
            try {
                store.put("m/key", failing);
                fail("the failing source must fail the put");
            } catch (IOException e) {
                assertTrue(e.getMessage(), e.getMessage().contains("reading the data to put under 'm/key' failed"));
            }
        }
        try (S3Client client = S3Clients.build(settings)) {
            assertEquals(List.of(), client.listMultipartUploads(b -> b.bucket("multipart")).uploads());
            assertEquals(List.of(), client.listObjectsV2(b -> b.bucket("multipart")).contents());
        }
    }
}
