package io.chronik.testing;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import io.chronik.api.store.ObjectNotFoundException;
import io.chronik.api.store.ObjectStore;

/**
 * The {@link ObjectStore} contract as its Javadoc states it, checked for every provider: storage-local and storage-s3
 * each run it through a subclass (as {@link PartitionLogsContract} does for the consensus providers).
 *
 * <p>A subclass returns a new, empty store for each test from {@link #newStore()} and may release it in
 * {@link #closeStore}. Keys are never both an object and a prefix of other keys ({@code a} and {@code a/b}): the
 * contract leaves that open (storage-local refuses it).
 */
public abstract class ObjectStoreContract {
    private static final int MIB = 1024 * 1024;

    protected ObjectStore store;
    private ExecutorService executor;

    /** A new, empty store. */
    protected abstract ObjectStore newStore() throws Exception;

    /** Releases a store made by {@link #newStore()}. */
    protected void closeStore(ObjectStore store) throws Exception {
    }

    /**
     * The size of the "large" object: above any multipart or buffering threshold of the provider, so that a put is
     * split into several requests.
     */
    protected int largeObjectSize() {
        return 12 * MIB + 12_345;
    }

    /** How many keys the listing test writes: more than one page of a paginated listing (S3: 1,000). */
    protected int manyKeys() {
        return 1_100;
    }

    @Before
    public void createStore() throws Exception {
        store = newStore();
        executor = Executors.newFixedThreadPool(8);
    }

    @After
    public void releaseStore() throws Exception {
        executor.shutdownNow();
        closeStore(store);
    }

    @Test
    public void bytesRoundTrip() throws IOException {
        byte[] data = bytes(100_000, 7);
        store.put("snapshots/group-1/0000000042.snap", data);
        assertArrayEquals(data, readAll(store.get("snapshots/group-1/0000000042.snap")));
        assertEquals(data.length, store.size("snapshots/group-1/0000000042.snap"));

        store.put("empty", new byte[0]);
        assertEquals(0, store.size("empty"));
        assertArrayEquals(new byte[0], readAll(store.get("empty")));
    }

    @Test
    public void streamRoundTripReturnsTheSizeAndLeavesTheStreamOpen() throws IOException {
        byte[] data = bytes(300_000, 11);
        AtomicBoolean closed = new AtomicBoolean();
        InputStream in = new ByteArrayInputStream(data) {
            @Override
            public void close() {
                closed.set(true);
            }
        };
        assertEquals(data.length, store.put("segments/t-0/00000000000000000000.log", in));
        assertFalse("put must not close the stream", closed.get());
        assertArrayEquals(data, readAll(store.get("segments/t-0/00000000000000000000.log")));
        assertEquals(0, store.put("zero", InputStream.nullInputStream()));
        assertEquals(0, store.size("zero"));
    }

    @Test
    public void largeObjectRoundTrip() throws Exception {
        int size = largeObjectSize();
        assertEquals(size, store.put("large/object.bin", new PatternStream(size)));
        assertEquals(size, store.size("large/object.bin"));
        try (InputStream in = store.get("large/object.bin")) {
            assertArrayEquals(sha256(new PatternStream(size)), sha256(in));
        }
        // ranges across what are part boundaries for S3 (every MiB is one, for whatever part size)
        for (long offset : new long[] {0, 5L * MIB - 10, 8L * MIB - 3, size - 100}) {
            byte[] expected = PatternStream.bytes(offset, (int) Math.min(1000, size - offset));
            assertArrayEquals("range at " + offset, expected, store.get("large/object.bin", offset, 1000));
        }
    }

    @Test
    public void rangedReads() throws IOException {
        byte[] data = bytes(10_000, 3);
        store.put("r/data", data);
        assertArrayEquals(Arrays.copyOfRange(data, 0, 100), store.get("r/data", 0, 100));
        assertArrayEquals(Arrays.copyOfRange(data, 1234, 5678), store.get("r/data", 1234, 5678 - 1234));
        assertArrayEquals("the whole object", data, store.get("r/data", 0, data.length));
        assertArrayEquals("truncated at the end", Arrays.copyOfRange(data, 9_990, 10_000), store.get("r/data", 9_990, 100));
        assertArrayEquals("the last byte", new byte[] {data[9_999]}, store.get("r/data", 9_999, 1));
        assertArrayEquals("offset at the end", new byte[0], store.get("r/data", 10_000, 10));
        assertArrayEquals("offset past the end", new byte[0], store.get("r/data", 50_000, 10));
        assertArrayEquals("zero length", new byte[0], store.get("r/data", 10, 0));
        assertArrayEquals("far more than there is", data, store.get("r/data", 0, Integer.MAX_VALUE - 16));

        store.put("r/empty", new byte[0]);
        assertArrayEquals(new byte[0], store.get("r/empty", 0, 10));
        assertArrayEquals(new byte[0], store.get("r/empty", 0, 0));

        assertIllegalArgument(() -> store.get("r/data", -1, 10));
        assertIllegalArgument(() -> store.get("r/data", 0, -1));
    }

    @Test
    public void overwriteReplacesTheWholeObject() throws IOException {
        store.put("o/key", bytes(50_000, 1));
        store.put("o/key", "short".getBytes(UTF_8));
        assertEquals("short", new String(readAll(store.get("o/key")), UTF_8));
        assertEquals(5, store.size("o/key"));
        byte[] longer = bytes(70_000, 2);
        store.put("o/key", new ByteArrayInputStream(longer));
        assertArrayEquals(longer, readAll(store.get("o/key")));
        assertEquals(List.of("o/key"), store.list("o/"));
    }

    @Test
    public void missingKeysAreObjectNotFound() throws IOException {
        store.put("present/a", new byte[] {1});
        for (String key : List.of("missing", "present/b", "nothing/below/here")) {
            assertNotFound(key, () -> store.get(key));
            assertNotFound(key, () -> store.get(key, 0, 10));
            assertNotFound(key, () -> store.get(key, 0, 0));
            assertNotFound(key, () -> store.size(key));
            assertFalse("delete of missing " + key, store.delete(key));
        }
    }

    @Test
    public void deleteRemovesTheObjectOnce() throws IOException {
        store.put("d/one", new byte[] {1, 2, 3});
        store.put("d/two", new byte[] {4});
        assertTrue(store.delete("d/one"));
        assertFalse(store.delete("d/one"));
        assertNotFound("d/one", () -> store.size("d/one"));
        assertEquals(List.of("d/two"), store.list(""));
        assertTrue(store.delete("d/two"));
        assertEquals(List.of(), store.list(""));
    }

    @Test
    public void listByPrefixIsLexicographicAndPlainString() throws IOException {
        List<String> keys = List.of("snapshots/g-1/2.snap", "snapshots/g-1/10.snap", "snapshots/g-2/1.snap",
                "segments/t-0/0.log", "segments/t-0/0.index", "snapshot-notes", "z");
        for (String key : keys) {
            store.put(key, key.getBytes(UTF_8));
        }
        List<String> sorted = new ArrayList<>(keys);
        sorted.sort(null);
        assertEquals(sorted, store.list(""));
        assertEquals(List.of("snapshot-notes", "snapshots/g-1/10.snap", "snapshots/g-1/2.snap", "snapshots/g-2/1.snap"),
                store.list("snap"));
        assertEquals(List.of("snapshots/g-1/10.snap", "snapshots/g-1/2.snap"), store.list("snapshots/g-1/"));
        assertEquals(List.of("snapshots/g-1/10.snap"), store.list("snapshots/g-1/1"));
        assertEquals(List.of("segments/t-0/0.index", "segments/t-0/0.log"), store.list("segments/t-0/0."));
        assertEquals(List.of("z"), store.list("z"));
        assertEquals(List.of(), store.list("nothing"));
        assertEquals(List.of(), store.list("snapshots/g-3/"));
    }

    @Test
    public void listPagesThroughManyKeys() throws Exception {
        int count = manyKeys();
        List<String> expected = new ArrayList<>();
        List<Future<?>> puts = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String key = String.format("many/%05d", i);
            expected.add(key);
            puts.add(executor.submit(() -> {
                store.put(key, key.getBytes(UTF_8));
                return null;
            }));
        }
        for (Future<?> put : puts) {
            put.get();
        }
        store.put("other/x", new byte[0]);
        assertEquals(expected, store.list("many/"));
        assertEquals(count + 1, store.list("").size());
        assertEquals(expected.subList(1000, Math.min(1100, count)), store.list("many/010"));
    }

    @Test
    public void keysWithSlashesAndUnusualCharacters() throws IOException {
        List<String> keys = List.of("a/b/c/d/e/f/g.h", "with space/and+plus", "unicode/grüße-€-日本",
                "query?like=this&that", "percent%20encoded", "dots.../..a/a..", "tilde~/star*/(paren)");
        for (String key : keys) {
            store.put(key, key.getBytes(UTF_8));
        }
        for (String key : keys) {
            assertEquals(key, new String(readAll(store.get(key)), UTF_8));
            assertEquals(key.getBytes(UTF_8).length, store.size(key));
        }
        List<String> sorted = new ArrayList<>(keys);
        sorted.sort(null);
        assertEquals(sorted, store.list(""));
        assertEquals(List.of("with space/and+plus"), store.list("with space/"));
        for (String key : keys) {
            assertTrue(key, store.delete(key));
        }
        assertEquals(List.of(), store.list(""));
    }

    @Test
    public void invalidKeysAreRejected() throws IOException {
        for (String key : Arrays.asList(null, "", "/a", "a/", "a//b", "./a", "a/./b", "a/..", "../a", "a\\b", "a\0b")) {
            assertIllegalArgument(() -> store.put(key, new byte[1]));
            assertIllegalArgument(() -> store.put(key, new ByteArrayInputStream(new byte[1])));
            assertIllegalArgument(() -> store.get(key));
            assertIllegalArgument(() -> store.get(key, 0, 1));
            assertIllegalArgument(() -> store.size(key));
            assertIllegalArgument(() -> store.delete(key));
        }
        assertEquals(List.of(), store.list(""));
    }

    @Test
    public void aFailingStreamLeavesThePreviousObject() throws IOException {
        byte[] previous = bytes(1000, 5);
        for (int failAfter : new int[] {10, largeObjectSize()}) {
            store.put("f/key", previous);
            try {
                store.put("f/key", new PatternStream(failAfter + 1000, failAfter));
                fail("put of a failing stream must fail");
            } catch (IOException expected) {
                // the stream's failure, reported
            }
            assertArrayEquals("after a stream failing at " + failAfter, previous, readAll(store.get("f/key")));
            assertEquals(List.of("f/key"), store.list(""));
        }
        try {
            store.put("f/new", new PatternStream(100, 50));
            fail("put of a failing stream must fail");
        } catch (IOException expected) {
            // nothing stored
        }
        assertNotFound("f/new", () -> store.size("f/new"));
    }

    @Test
    public void anOpenStreamReadsTheObjectAsOfOpenTime() throws IOException {
        byte[] first = bytes(200_000, 1);
        store.put("v/key", first);
        try (InputStream in = store.get("v/key")) {
            byte[] head = in.readNBytes(100);
            store.put("v/key", bytes(300_000, 2));
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            all.write(head);
            in.transferTo(all);
            assertArrayEquals(first, all.toByteArray());
        }
        assertEquals(300_000, store.size("v/key"));
    }

    @Test
    public void concurrentPutsAndGetsNeverSeePartialObjects() throws Exception {
        byte[] a = filled(400_000, (byte) 'a');
        byte[] b = filled(300_000, (byte) 'b');
        store.put("c/key", a);
        AtomicBoolean stop = new AtomicBoolean();
        List<Future<?>> tasks = new ArrayList<>();
        for (int w = 0; w < 2; w++) {
            byte[] mine = w == 0 ? a : b;
            tasks.add(executor.submit(() -> {
                for (int i = 0; i < 15; i++) {
                    store.put("c/key", mine);
                }
                return null;
            }));
        }
        for (int r = 0; r < 3; r++) {
            tasks.add(executor.submit(() -> {
                while (!stop.get()) {
                    byte[] seen = readAll(store.get("c/key"));
                    assertTrue("whole object", Arrays.equals(seen, a) || Arrays.equals(seen, b));
                }
                return null;
            }));
        }
        tasks.get(0).get();
        tasks.get(1).get();
        stop.set(true);
        for (Future<?> task : tasks) {
            task.get();
        }
    }

    private interface Action {
        void run() throws IOException;
    }

    private static void assertIllegalArgument(Action action) throws IOException {
        try {
            action.run();
            fail("IllegalArgumentException expected");
        } catch (IllegalArgumentException expected) {
            // rejected before any I/O
        }
    }

    private static void assertNotFound(String key, Action action) throws IOException {
        try {
            action.run();
            fail("ObjectNotFoundException expected for " + key);
        } catch (ObjectNotFoundException e) {
            assertEquals(key, e.key());
        }
    }

    protected static byte[] readAll(InputStream in) throws IOException {
        try (in) {
            return in.readAllBytes();
        }
    }

    protected static byte[] bytes(int size, int seed) {
        byte[] data = new byte[size];
        for (int i = 0; i < size; i++) {
            data[i] = (byte) (i * 31 + seed * 17 + (i >> 8));
        }
        return data;
    }

    private static byte[] filled(int size, byte value) {
        byte[] data = new byte[size];
        Arrays.fill(data, value);
        return data;
    }

    private static byte[] sha256(InputStream in) throws IOException, NoSuchAlgorithmException {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        byte[] buffer = new byte[64 * 1024];
        for (int n; (n = in.read(buffer)) >= 0;) {
            digest.update(buffer, 0, n);
        }
        return digest.digest();
    }

    /** A stream of {@code size} bytes whose byte at position p is a function of p; optionally fails at a position. */
    private static final class PatternStream extends InputStream {
        private final long size;
        private final long failAt;
        private long position;

        PatternStream(long size) {
            this(size, -1);
        }

        PatternStream(long size, long failAt) {
            this.size = size;
            this.failAt = failAt;
        }

        static byte at(long position) {
            return (byte) (position ^ (position >>> 9) ^ (position >>> 17));
        }

        static byte[] bytes(long offset, int length) {
            byte[] data = new byte[length];
            for (int i = 0; i < length; i++) {
                data[i] = at(offset + i);
            }
            return data;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (failAt >= 0 && position >= failAt) {
                throw new IOException("test stream fails at byte " + failAt);
            }
            if (position >= size) {
                return -1;
            }
            long end = Math.min(size, position + len);
            if (failAt >= 0) {
                end = Math.min(end, failAt);
            }
            int n = (int) (end - position);
            for (int i = 0; i < n; i++) {
                b[off + i] = at(position + i);
            }
            position += n;
            return n;
        }
    }
}
