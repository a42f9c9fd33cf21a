package io.chronik.storage.local.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import io.chronik.api.store.ObjectNotFoundException;
import io.chronik.api.store.ObjectStore;

public class LocalObjectStoreTest {

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    private Path base;
    private Path rootDir;
    private LocalObjectStore store;
    private ExecutorService executor;

    @Before
    public void setUp() throws IOException {
        base = folder.getRoot().toPath().toRealPath();
        rootDir = base.resolve("store");
        store = new LocalObjectStore(rootDir, "test");
        executor = Executors.newCachedThreadPool();
    }

    @After
    public void tearDown() {
        executor.shutdownNow();
    }

    // --------------------------------------------------------------------------------- put / get / size

    @Test
    public void putAndGetRoundTrip() throws IOException {
        byte[] data = bytes(100_000, 7);
        assertEquals(data.length, store.put("snapshots/group-1/0000000042.snap", new ByteArrayInputStream(data)));
        assertArrayEquals(data, read(store.get("snapshots/group-1/0000000042.snap")));
        assertEquals(data.length, store.size("snapshots/group-1/0000000042.snap"));
        assertTrue(Files.isRegularFile(rootDir.resolve("snapshots/group-1/0000000042.snap")));

        store.put("top", "hello".getBytes(UTF_8));
        assertEquals("hello", new String(read(store.get("top")), UTF_8));
        assertEquals(5, store.size("top"));

        store.put("empty", new byte[0]);
        assertEquals(0, store.size("empty"));
        assertArrayEquals(new byte[0], read(store.get("empty")));
        assertEquals(0, store.put("empty2", new ByteArrayInputStream(new byte[0])));
    }

    @Test
    public void putDoesNotCloseTheStream() throws IOException {
        AtomicBoolean closed = new AtomicBoolean();
        InputStream in = new ByteArrayInputStream("abc".getBytes(UTF_8)) {
            @Override
            public void close() {
                closed.set(true);
            }
        };
        assertEquals(3, store.put("k", in));
        assertFalse(closed.get());
    }

    @Test
    public void rangedGet() throws IOException {
        byte[] data = bytes(1000, 3);
        store.put("r", data);
        assertArrayEquals(Arrays.copyOfRange(data, 10, 110), store.get("r", 10, 100));
        assertArrayEquals(Arrays.copyOfRange(data, 0, 1000), store.get("r", 0, 1000));
        assertArrayEquals("length past the end is cut", Arrays.copyOfRange(data, 990, 1000), store.get("r", 990, 100));
        assertArrayEquals(Arrays.copyOfRange(data, 500, 1000), store.get("r", 500, Integer.MAX_VALUE));
        assertArrayEquals("offset at the end", new byte[0], store.get("r", 1000, 10));
        assertArrayEquals("offset past the end", new byte[0], store.get("r", 5000, 10));
        assertArrayEquals("offset far past the end", new byte[0], store.get("r", Long.MAX_VALUE, 10));
        assertArrayEquals("zero length", new byte[0], store.get("r", 10, 0));
        assertIllegal(() -> store.get("r", -1, 10));
        assertIllegal(() -> store.get("r", 0, -1));
        assertIllegal(() -> store.get("missing", -1, 10));
        assertNotFound("missing", () -> store.get("missing", 0, 10));
    }

    @Test
    public void overwriteReplacesTheObject() throws IOException {
        store.put("k", bytes(5000, 1));
        store.put("k", "short".getBytes(UTF_8));
        assertEquals("short", new String(read(store.get("k")), UTF_8));
        assertEquals(5, store.size("k"));
        assertEquals(List.of("k"), store.list(""));
        assertTempDirEmpty();
    }

    @Test
    public void anOpenStreamReadsTheObjectAsOfOpenTime() throws IOException {
        byte[] first = bytes(200_000, 1);
        store.put("k", first);
        try (InputStream in = store.get("k")) {
            store.put("k", bytes(300_000, 2));
            assertArrayEquals(first, in.readAllBytes());
        }
        try (InputStream in = store.get("k")) {
            assertTrue(store.delete("k"));
            assertEquals(300_000, in.readAllBytes().length);
        }
    }

    @Test
    public void missingKeysAreObjectNotFound() throws IOException {
        assertNotFound("nope", () -> store.get("nope"));
        assertNotFound("nope", () -> store.get("nope", 0, 1));
        assertNotFound("nope", () -> store.size("nope"));
        assertNotFound("a/b/c", () -> store.get("a/b/c"));
        assertFalse(store.delete("nope"));

        store.put("dir/file", "x".getBytes(UTF_8));
        assertNotFound("dir", () -> store.get("dir"));          // a prefix is not an object
        assertNotFound("dir", () -> store.size("dir"));
        assertNotFound("dir", () -> store.get("dir", 0, 1));
        assertFalse(store.delete("dir"));
        assertNotFound("dir/file/x", () -> store.get("dir/file/x")); // below an object
        assertNotFound("dir/file/x", () -> store.size("dir/file/x"));
        assertFalse(store.delete("dir/file/x"));
        assertEquals(List.of("dir/file"), store.list(""));
    }

    @Test
    public void aKeyCannotBeBothAnObjectAndAPrefix() throws IOException {
        store.put("a/b", "ab".getBytes(UTF_8));
        try {
            store.put("a", "a".getBytes(UTF_8));
            fail();
        } catch (IOException e) {
            assertFalse(e instanceof ObjectNotFoundException);
            assertTrue(e.getMessage(), e.getMessage().contains("'a'"));
        }
        store.put("c", "c".getBytes(UTF_8));
        try {
            store.put("c/d", new ByteArrayInputStream("cd".getBytes(UTF_8)));
            fail();
        } catch (IOException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("'c'"));
        }
        assertEquals(List.of("a/b", "c"), store.list(""));
        assertArrayEquals("c".getBytes(UTF_8), store.get("c", 0, 10));
        assertTempDirEmpty();
    }

    // ---------------------------------------------------------------------------------------------- list

    @Test
    public void listByPrefixIsLexicographicAndNested() throws IOException {
        List<String> keys = List.of("snapshots/group-2/0002.snap", "snapshots/group-1/0010.snap",
                "snapshots/group-1/0002.snap", "snapshots/group-10/0001.snap", "segments/t-0/00000.log",
                "segments/t-0/00100.log", "snapshot", "z", "a", "a.b", "ab/c", "A/b", "segments/t-1/x/y/z/deep");
        for (String k : keys) {
            store.put(k, k.getBytes(UTF_8));
        }
        List<String> sorted = new ArrayList<>(keys);
        sorted.sort(null);
        assertEquals(sorted, store.list(""));
        assertEquals(List.of("snapshot", "snapshots/group-1/0002.snap", "snapshots/group-1/0010.snap",
                "snapshots/group-10/0001.snap", "snapshots/group-2/0002.snap"), store.list("snap"));
        assertEquals(List.of("snapshots/group-1/0002.snap", "snapshots/group-1/0010.snap",
                "snapshots/group-10/0001.snap"), store.list("snapshots/group-1"));
        assertEquals(List.of("snapshots/group-1/0002.snap", "snapshots/group-1/0010.snap"),
                store.list("snapshots/group-1/"));
        assertEquals(List.of("snapshots/group-1/0010.snap"), store.list("snapshots/group-1/001"));
        assertEquals(List.of("segments/t-1/x/y/z/deep"), store.list("segments/t-1"));
        assertEquals(List.of("a", "a.b", "ab/c"), store.list("a"));
        assertEquals(List.of("ab/c"), store.list("ab/"));
        assertEquals(List.of("z"), store.list("z"));
        assertEquals(List.of(), store.list("zz"));
        assertEquals(List.of(), store.list("nothing/"));
        assertEquals(List.of(), store.list("z/"));             // z is an object, nothing below it
        assertEquals(List.of(), store.list("../"));
        assertEquals(List.of(), store.list("/"));
        assertEquals(List.of(), store.list("a//"));
        assertEquals(List.of(), store.list(Keys.TEMP_DIR));
        assertEquals(List.of(), store.list(Keys.TEMP_DIR + "/"));
    }

    @Test
    public void listNeverShowsTemporaryFiles() throws Exception {
        store.put("x/a", "a".getBytes(UTF_8));
        Files.write(rootDir.resolve(Keys.TEMP_DIR).resolve("leftover.tmp"), "junk".getBytes(UTF_8));

        // a put in flight: its data is in a temporary file until the stream ends
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        InputStream slow = new InputStream() {
            private int sent;

            @Override
            public int read() throws IOException {
                if (sent == 10) {
                    started.countDown();
                    await(finish);
                }
                return sent++ < 20 ? 'x' : -1;
            }
        };
        Future<Long> put = executor.submit(() -> store.put("x/b", slow));
        assertTrue(started.await(10, TimeUnit.SECONDS));
        try (Stream<Path> temps = Files.list(rootDir.resolve(Keys.TEMP_DIR))) {
            assertEquals(2, temps.count());
        }
        assertEquals(List.of("x/a"), store.list(""));
        assertEquals(List.of("x/a"), store.list("x/"));
        assertEquals(List.of(), store.list("."));
        assertNotFound("x/b", () -> store.get("x/b"));
        finish.countDown();
        assertEquals(20L, (long) put.get(10, TimeUnit.SECONDS));
        assertEquals(List.of("x/a", "x/b"), store.list(""));
    }

    // -------------------------------------------------------------------------------------------- delete

    @Test
    public void deleteRemovesTheObjectAndEmptyDirectoriesButNeverTheRoot() throws IOException {
        store.put("a/b/c/one", "1".getBytes(UTF_8));
        store.put("a/b/c/two", "2".getBytes(UTF_8));
        store.put("a/keep", "k".getBytes(UTF_8));

        assertTrue(store.delete("a/b/c/one"));
        assertFalse(store.delete("a/b/c/one"));
        assertNotFound("a/b/c/one", () -> store.get("a/b/c/one"));
        assertTrue(Files.isDirectory(rootDir.resolve("a/b/c")));

        assertTrue(store.delete("a/b/c/two"));
        assertFalse("emptied directories are removed", Files.exists(rootDir.resolve("a/b")));
        assertTrue(Files.isDirectory(rootDir.resolve("a")));
        assertEquals(List.of("a/keep"), store.list(""));

        assertTrue(store.delete("a/keep"));
        assertFalse(Files.exists(rootDir.resolve("a")));
        assertTrue("the root stays", Files.isDirectory(rootDir));
        assertTrue(Files.isDirectory(rootDir.resolve(Keys.TEMP_DIR)));
        assertEquals(List.of(), store.list(""));

        store.put("a/b/c/again", "x".getBytes(UTF_8));
        assertEquals(List.of("a/b/c/again"), store.list(""));
    }

    // -------------------------------------------------------------------------------------------- keys

    @Test
    public void invalidKeysAreRejectedBeforeAnyIo() throws IOException {
        String[] bad = {"", "/", "/abs", "/abs/path", "a/", "a//b", "//", ".", "..", "./a", "a/.", "a/./b", "../a",
            "a/..", "a/../b", "a/../../../../etc/passwd", "../../outside", "a\\b", "..\\outside", "a\0b", "\0",
            Keys.TEMP_DIR, Keys.TEMP_DIR + "/x", ".CHRONIK-TMP/x", null};
        InputStream untouchable = new InputStream() {
            @Override
            public int read() {
                throw new AssertionError("the stream of a put with an invalid key was read");
            }
        };
        for (String key : bad) {
            String what = key == null ? "null" : "'" + key.replace("\0", "\\0") + "'";
            assertIllegal(what, () -> store.put(key, "evil".getBytes(UTF_8)));
            assertIllegal(what, () -> store.put(key, untouchable));
            assertIllegal(what, () -> store.get(key));
            assertIllegal(what, () -> store.get(key, 0, 10));
            assertIllegal(what, () -> store.size(key));
            assertIllegal(what, () -> store.delete(key));
        }
        // nothing was written anywhere: not outside the root, not inside it
        try (Stream<Path> all = Files.walk(base)) {
            assertEquals(List.of(base, rootDir, rootDir.resolve(Keys.TEMP_DIR)),
                    all.sorted().collect(Collectors.toList()));
        }
    }

    @Test
    public void unusualButValidKeysStayInsideTheRoot() throws IOException {
        for (String key : new String[] {"...", "..a", "a..", "a/..b/c", ".hidden", "x/.y", "spaces in name",
            "ünïcødé/κλειδί", "tab\tkey", "a:b", ".tmp/x"}) {
            store.put(key, key.getBytes(UTF_8));
            assertArrayEquals(key, key.getBytes(UTF_8), read(store.get(key)));
            assertTrue(key, Files.isRegularFile(rootDir.resolve(key)));
        }
        try (Stream<Path> outside = Files.list(base)) {
            assertEquals(List.of(rootDir), outside.collect(Collectors.toList()));
        }
        assertEquals(11, store.list("").size());
    }

    // ------------------------------------------------------------------------------------- atomicity

    @Test
    public void concurrentPutAndGetNeverSeePartialContent() throws Exception {
        byte[] a = bytes(256 * 1024, 'a');
        byte[] b = bytes(384 * 1024 + 17, 'b');
        store.put("hot/key", a);
        AtomicBoolean stop = new AtomicBoolean();
        List<Future<Integer>> readers = new ArrayList<>();
        for (int r = 0; r < 4; r++) {
            boolean streamed = r % 2 == 0;
            readers.add(executor.submit(() -> {
                int reads = 0;
                while (!stop.get()) {
                    byte[] seen = streamed ? read(store.get("hot/key"))
                            : store.get("hot/key", 0, Integer.MAX_VALUE);
                    if (!Arrays.equals(seen, a) && !Arrays.equals(seen, b)) {
                        throw new AssertionError("partial or mixed content: " + seen.length + " bytes");
                    }
                    long size = store.size("hot/key");
                    if (size != a.length && size != b.length) {
                        throw new AssertionError("odd size");
                    }
                    reads++;
                }
                return reads;
            }));
        }
        List<Future<?>> writers = new ArrayList<>();
        for (int w = 0; w < 2; w++) {
            int id = w;
            writers.add(executor.submit(() -> {
                for (int i = 0; i < 100; i++) {
                    if ((i + id) % 2 == 0) {
                        store.put("hot/key", new ByteArrayInputStream(b));
                    } else {
                        store.put("hot/key", a);
                    }
                }
                return null;
            }));
        }
        for (Future<?> w : writers) {
            w.get(60, TimeUnit.SECONDS);
        }
        stop.set(true);
        int reads = 0;
        for (Future<Integer> r : readers) {
            reads += r.get(60, TimeUnit.SECONDS);
        }
        assertTrue("readers ran", reads > 0);
        assertTempDirEmpty();
    }

    @Test
    public void concurrentPutsAndDeletesInOneDirectoryDoNotTripOverDirectoryRemoval() throws Exception {
        List<Future<?>> tasks = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int id = t;
            tasks.add(executor.submit(() -> {
                for (int i = 0; i < 200; i++) {
                    String key = "shared/dir/k" + id;
                    store.put(key, new byte[] {(byte) i});
                    assertArrayEquals(new byte[] {(byte) i}, store.get(key, 0, 1));
                    assertTrue(store.delete(key));
                }
                return null;
            }));
        }
        for (Future<?> f : tasks) {
            f.get(60, TimeUnit.SECONDS);
        }
        assertEquals(List.of(), store.list(""));
    }

    @Test
    public void aFailingStreamLeavesThePreviousObjectAndNoTemporaryFile() throws IOException {
        byte[] previous = "previous".getBytes(UTF_8);
        store.put("k", previous);
        IOException boom = new IOException("boom");
        InputStream failing = new InputStream() {
            private int sent;

            @Override
            public int read() throws IOException {
                if (sent >= 100_000) {
                    throw boom; // and again on every later call (InputStream.read(byte[]) swallows the first)
                }
                sent++;
                return 'n';
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (sent >= 100_000) {
                    throw boom;
                }
                int n = Math.min(len, 100_000 - sent);
                Arrays.fill(b, off, off + n, (byte) 'n');
                sent += n;
                return n;
            }
        };
        try {
            store.put("k", failing);
            fail("put succeeded");
        } catch (IOException e) {
            assertSame(boom, e);
        }
        assertArrayEquals(previous, read(store.get("k")));
        assertEquals(previous.length, store.size("k"));
        assertTempDirEmpty();

        InputStream failsAtOnce = new InputStream() {
            @Override
            public int read() {
                throw new IllegalStateException("unchecked");
            }
        };
        try {
            store.put("new/key", failsAtOnce);
            fail();
        } catch (IllegalStateException expected) {
            // propagated as is
        }
        assertNotFound("new/key", () -> store.get("new/key"));
        assertEquals(List.of("k"), store.list(""));
        assertTempDirEmpty();
    }

    // ---------------------------------------------------------------------------------------- activation

    @Test
    public void theRootIsCreatedWithItsParents() throws IOException {
        Path deep = base.resolve("x/y/z");
        LocalObjectStore s = new LocalObjectStore(deep, "deep");
        assertTrue(Files.isDirectory(deep));
        assertEquals(deep, s.root());
        s.put("k", new byte[] {1});
        assertTrue(Files.isRegularFile(deep.resolve("k")));
    }

    @Test
    public void aRootThatIsNotADirectoryFailsActivationClearly() throws IOException {
        Path file = Files.write(base.resolve("afile"), new byte[] {1});
        for (Path root : new Path[] {file, file.resolve("below")}) {
            try {
                new LocalObjectStore(root, "broken");
                fail(root.toString());
            } catch (IOException e) {
                assertTrue(e.getMessage(), e.getMessage().startsWith("object store 'broken': "));
                assertTrue(e.getMessage(), e.getMessage().contains(root.toString()));
            }
        }
    }

    @Test
    public void activationFromConfiguration() throws IOException {
        LocalObjectStore s = new LocalObjectStore(config(base.resolve("configured").toString(), "named"));
        assertEquals(base.resolve("configured"), s.root());
        assertTrue(s.toString().contains("named"));
        for (String root : new String[] {null, "", "  "}) {
            try {
                new LocalObjectStore(config(root, "named"));
                fail();
            } catch (IllegalArgumentException e) {
                assertTrue(e.getMessage(), e.getMessage().contains("'root'"));
                assertTrue(e.getMessage(), e.getMessage().contains("io.chronik.storage.local"));
            }
        }
    }

    @Test
    public void staleTemporaryFilesAreRemovedOnActivation() throws IOException {
        Path temp = rootDir.resolve(Keys.TEMP_DIR);
        Path stale = Files.write(temp.resolve("stale.tmp"), new byte[] {1});
        Files.setLastModifiedTime(stale, FileTime.from(Instant.now().minus(Duration.ofDays(1))));
        Path fresh = Files.write(temp.resolve("fresh.tmp"), new byte[] {1});
        new LocalObjectStore(rootDir, "again");
        assertFalse(Files.exists(stale));
        assertTrue("a temporary file that may belong to a put in flight stays", Files.exists(fresh));
    }

    @Test
    public void isAnObjectStore() {
        ObjectStore s = store;
        assertNotNull(s);
        assertEquals("store.name", ObjectStore.STORE_NAME);
    }

    // ------------------------------------------------------------------------------------------- helpers

    private static LocalStoreConfig config(String root, String name) {
        return (LocalStoreConfig) Proxy.newProxyInstance(LocalStoreConfig.class.getClassLoader(),
                new Class<?>[] {LocalStoreConfig.class}, (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "root":
                            return root;
                        case "store_name":
                            return name;
                        default:
                            throw new UnsupportedOperationException(method.getName());
                    }
                });
    }

    private void assertTempDirEmpty() throws IOException {
        try (Stream<Path> temps = Files.list(rootDir.resolve(Keys.TEMP_DIR))) {
            assertEquals(List.of(), temps.collect(Collectors.toList()));
        }
    }

    private static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (seed + i * 31);
        }
        if (seed == 'a' || seed == 'b') {
            Arrays.fill(b, (byte) seed);
        }
        return b;
    }

    private static byte[] read(InputStream in) throws IOException {
        try (in) {
            return in.readAllBytes();
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private interface Io {
        void run() throws IOException;
    }

    private static void assertIllegal(Io op) throws IOException {
        assertIllegal("", op);
    }

    private static void assertIllegal(String what, Io op) throws IOException {
        try {
            op.run();
            fail("accepted " + what);
        } catch (IllegalArgumentException expected) {
            // ok
        }
    }

    private static void assertNotFound(String key, Io op) throws IOException {
        try {
            op.run();
            fail("found " + key);
        } catch (ObjectNotFoundException e) {
            assertEquals(key, e.key());
        }
    }
}
