package io.chronik.raft.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import io.chronik.api.archive.Archive;
import io.chronik.api.store.ObjectStore;
import io.chronik.archive.internal.TestArchives;
import io.chronik.log.LinkedFile;
import io.chronik.storage.local.internal.LocalObjectStore;

/**
 * The snapshot archive on the real archive (gzip) and storage-local's store on a temporary directory: uploads,
 * re-use of sealed segment objects, retention, fetches with fallback past corrupt objects, a failing store, a switch
 * of stores, metadata snapshots. {@link S3SnapshotArchiverIT} runs the same tests on storage-s3 and s3proxy.
 */
public class ObjectSnapshotArchiverTest {
    static final String CLUSTER = "cluster-a";
    static final UUID TOPIC_ID = new UUID(1, 2);
    static final String SEG0 = "00000000000000000000.log";
    static final String SEG1 = "00000000000000001000.log";
    static final String SEG2 = "00000000000000002000.log";
    static final String CHECKPOINT = "checkpoint";

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    /** The store under test, seen directly (to list, corrupt and delete objects). */
    ObjectStore local;
    CountingStore store;
    Archive archive;
    Path snapshots;
    Path logDir;
    ObjectSnapshotArchiver archiver;
    SnapshotSettings settings = SnapshotSettings.DEFAULT;

    @Before
    public void setUp() throws Exception {
        local = newStore();
        store = new CountingStore(local);
        archive = TestArchives.archive("gzip", store, "local");
        snapshots = tmp.newFolder("snapshots").toPath();
        logDir = tmp.newFolder("log").toPath();
    }

    @After
    public void tearDown() throws Exception {
        if (archiver != null) {
            archiver.close();
        }
    }

    /** The object store the archive writes to: storage-local's on a temporary directory. */
    ObjectStore newStore() throws Exception {
        return new LocalObjectStore(tmp.newFolder("objects").toPath(), "local");
    }

    ObjectSnapshotArchiver archiver() throws IOException {
        archiver = new ObjectSnapshotArchiver(1, () -> archive, () -> CLUSTER, g -> true,
                tmp.getRoot().toPath().resolve("pending"), settings);
        archiver.initialBackoffMs = 50;
        return archiver;
    }

    /** Compressible, distinct content of {@code n} bytes. */
    static byte[] content(String seed, int n) {
        byte[] b = new byte[n];
        byte[] s = (seed + " record batch bytes; ").getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < n; i++) {
            b[i] = s[i % s.length];
        }
        return b;
    }

    /** Appends to a "log" file (the partition's files grow as a log's do). */
    void write(String name, byte[] bytes) throws IOException {
        Files.write(logDir.resolve(name), bytes);
    }

    /**
     * A snapshot at {@code index} of one partition holding the log files {@code files} (segment flag by name), in the
     * layout of DataSnapshotStorage: hard links, the manifest with each file's current size.
     */
    DataSnapshotStorage.DataSnapshot snapshot(long index, String... files) throws IOException {
        Path dir = snapshots.resolve("snapshot.1_" + index);
        Path part = Files.createDirectories(dir.resolve("t-0"));
        List<LinkedFile> linked = new ArrayList<>();
        for (String f : files) {
            Files.createLink(part.resolve(f), logDir.resolve(f));
            linked.add(new LinkedFile(f, Files.size(logDir.resolve(f)), f.endsWith(".log")));
        }
        new SnapshotManifest(7, 1, index, List.of(new SnapshotManifest.Partition(TOPIC_ID, "t", 0, "t-0", false, 0,
                index, linked))).writeTo(dir);
        return DataSnapshotStorage.open(dir);
    }

    void awaitIdle() throws Exception {
        await("uploads finished", () -> archiver.idle());
    }

    static void await(String what, BooleanSupplier condition) throws Exception {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting: " + what);
            }
            Thread.sleep(10);
        }
    }

    List<String> keys(String prefix) throws IOException {
        return local.list(prefix);
    }

    String manifestKey(long index) {
        return ArchiveKeys.manifest(CLUSTER, 7, index);
    }

    @Test
    public void uploadsCompressedRangesThenTheManifest() throws Exception {
        write(SEG0, content("a", 200_000));
        write(CHECKPOINT, content("cp1", 100));
        archiver().snapshotTaken(7, snapshot(10, SEG0, CHECKPOINT));
        awaitIdle();

        assertEquals(List.of(manifestKey(10)), keys(ArchiveKeys.manifests(CLUSTER, 7)));
        List<String> files = keys(ArchiveKeys.files(CLUSTER, 7));
        assertEquals(files.toString(), 2, files.size());
        String seg = files.stream().filter(k -> k.contains(SEG0)).findFirst().orElseThrow();
        assertTrue(seg, seg.startsWith(CLUSTER + "/groups/7/files/" + TOPIC_ID + "-0/" + SEG0
                + "/00000000000000000000-00000000000000200000-"));
        assertTrue("stored compressed: " + local.size(seg), local.size(seg) < 20_000);
        try (InputStream in = archive.read(seg)) {
            assertArrayEquals(content("a", 200_000), in.readAllBytes());
        }
        assertEquals(1, archiver.metrics().uploads.sum());
        assertEquals(200_100, archiver.metrics().uploadedBytes.sum());
        assertEquals(10, archiver.metrics().lastIndex("7"));
        try (Stream<Path> pending = Files.walk(tmp.getRoot().toPath().resolve("pending"))) {
            assertEquals("pins released", 0, pending.filter(Files::isRegularFile).count());
        }
    }

    @Test
    public void aLaterSnapshotUploadsOnlyWhatIsNew() throws Exception {
        write(SEG0, content("a", 50_000));
        write(SEG1, content("b", 20_000));
        write(CHECKPOINT, content("cp1", 100));
        archiver().snapshotTaken(7, snapshot(10, SEG0, SEG1, CHECKPOINT));
        awaitIdle();
        int puts = store.puts.get();
        assertEquals(4, puts); // two segments, the checkpoint, the manifest

        write(SEG1, content("b", 40_000)); // the last segment grew: its first 20,000 bytes are the same
        write(SEG2, content("c", 10_000));
        write(CHECKPOINT, content("cp2", 100));
        archiver.snapshotTaken(7, snapshot(20, SEG0, SEG1, SEG2, CHECKPOINT));
        awaitIdle();

        assertEquals("SEG1's new bytes, SEG2, the checkpoint, the manifest", puts + 4, store.puts.get());
        assertEquals(70_100 + 20_000 + 10_000 + 100, archiver.metrics().uploadedBytes.sum());
        assertEquals(50_000 + 20_000, archiver.metrics().skippedBytes.sum());
        List<String> seg1 = keys(ArchiveKeys.file(CLUSTER, 7, TOPIC_ID, 0, SEG1));
        assertEquals(2, seg1.size());
        assertTrue(seg1.get(1), seg1.get(1).contains("/00000000000000020000-00000000000000040000-"));

        Path fetched = archiver.fetchLatest(7, tmp.newFolder("wiped").toPath());
        assertSameFiles(fetched, 20, SEG0, SEG1, SEG2, CHECKPOINT);
    }

    /** The fetched snapshot directory is complete and holds exactly the log files' bytes. */
    void assertSameFiles(Path fetched, long index, String... files) throws IOException {
        assertNotNull(fetched);
        assertEquals("snapshot.1_" + index, fetched.getFileName().toString());
        DataSnapshotStorage.DataSnapshot s = DataSnapshotStorage.open(fetched);
        assertEquals(index, s.index());
        for (String f : files) {
            assertArrayEquals(f, Files.readAllBytes(logDir.resolve(f)), Files.readAllBytes(fetched.resolve("t-0").resolve(f)));
        }
        try (Stream<Path> siblings = Files.list(fetched.getParent())) {
            assertEquals("no temporary directory left", 1, siblings.count());
        }
    }

    @Test
    public void retentionKeepsTheNewestManifestsAndDeletesWhatNoneReferences() throws Exception {
        settings = settings.withRetentionCount(2);
        archiver();
        String[] segs = {SEG0, SEG1, SEG2, "00000000000000003000.log"};
        for (int i = 0; i < 4; i++) {
            write(segs[i], content("s" + i, 10_000));
            write(CHECKPOINT, content("cp" + i, 100));
            archiver.snapshotTaken(7, snapshot(10 * (i + 1), segs[i], CHECKPOINT)); // the log start moves on
            awaitIdle();
        }
        assertEquals(List.of(manifestKey(30), manifestKey(40)), keys(ArchiveKeys.manifests(CLUSTER, 7)));
        List<String> files = keys(ArchiveKeys.files(CLUSTER, 7));
        assertEquals(files.toString(), 4, files.size()); // two segments, two checkpoints
        assertFalse(files.stream().anyMatch(k -> k.contains(SEG0) || k.contains(SEG1)));
        assertEquals(2 + 2 * 2, archiver.metrics().deletedObjects.sum()); // manifests, segments and checkpoints
    }

    @Test
    public void aCorruptNewestManifestFallsBackToTheOlderOne() throws Exception {
        write(SEG0, content("a", 30_000));
        write(CHECKPOINT, content("cp1", 100));
        archiver().snapshotTaken(7, snapshot(10, SEG0, CHECKPOINT));
        awaitIdle();
        Map<String, byte[]> old = copyOfLog();
        write(SEG0, content("a", 60_000));
        archiver.snapshotTaken(7, snapshot(20, SEG0, CHECKPOINT));
        awaitIdle();
        byte[] raw = local.get(manifestKey(20), 0, (int) local.size(manifestKey(20)));
        local.put(manifestKey(20), Arrays.copyOf(raw, raw.length / 2)); // truncated

        restoreLog(old);
        Path fetched = archiver.fetchLatest(7, tmp.newFolder("wiped").toPath());
        assertSameFiles(fetched, 10, SEG0, CHECKPOINT);
        assertEquals(1, archiver.metrics().fetchFailures.sum());
    }

    @Test
    public void aCorruptRangeObjectFallsBackToTheOlderSnapshot() throws Exception {
        archive = TestArchives.archive("none", store, "local"); // uncompressed: a flipped byte fails the CRC32
        write(SEG0, content("a", 30_000));
        write(CHECKPOINT, content("cp1", 100));
        archiver().snapshotTaken(7, snapshot(10, SEG0, CHECKPOINT));
        awaitIdle();
        Map<String, byte[]> old = copyOfLog();
        write(SEG0, content("a", 60_000));
        archiver.snapshotTaken(7, snapshot(20, SEG0, CHECKPOINT));
        awaitIdle();
        String newRange = keys(ArchiveKeys.file(CLUSTER, 7, TOPIC_ID, 0, SEG0)).get(1);
        byte[] raw = local.get(newRange, 0, (int) local.size(newRange));
        raw[raw.length / 2] ^= 0x5a;
        local.put(newRange, raw);

        Path wiped = tmp.newFolder("wiped").toPath();
        restoreLog(old);
        assertSameFiles(archiver.fetchLatest(7, wiped), 10, SEG0, CHECKPOINT);

        local.delete(newRange); // a missing object (another node's retention): refused as well
        DataSnapshotStorage.deleteRecursively(wiped);
        Files.createDirectories(wiped);
        assertSameFiles(archiver.fetchLatest(7, wiped), 10, SEG0, CHECKPOINT);
        assertEquals(2, archiver.metrics().fetchFailures.sum());

        local.delete(manifestKey(10)); // nothing usable left: null, and no directory
        DataSnapshotStorage.deleteRecursively(wiped);
        Files.createDirectories(wiped);
        assertNull(archiver.fetchLatest(7, wiped));
        try (Stream<Path> left = Files.list(wiped)) {
            assertEquals(0, left.count());
        }
    }

    Map<String, byte[]> copyOfLog() throws IOException {
        Map<String, byte[]> copy = new LinkedHashMap<>();
        try (Stream<Path> files = Files.list(logDir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                copy.put(f.getFileName().toString(), Files.readAllBytes(f));
            }
        }
        return copy;
    }

    void restoreLog(Map<String, byte[]> copy) throws IOException {
        for (Map.Entry<String, byte[]> e : copy.entrySet()) {
            Files.delete(logDir.resolve(e.getKey())); // a new file: the snapshots' links keep the old one
            Files.write(logDir.resolve(e.getKey()), e.getValue());
        }
    }

    @Test
    public void aFailingStoreNeverGetsAManifestOfMissingObjectsAndIsRetried() throws Exception {
        write(SEG0, content("a", 30_000));
        write(SEG1, content("b", 30_000));
        write(CHECKPOINT, content("cp1", 100));
        store.failAfterPuts = 1; // the first range goes in, then the store is down
        archiver().snapshotTaken(7, snapshot(10, SEG0, SEG1, CHECKPOINT));
        await("failures counted", () -> archiver.metrics().uploadFailures.sum() >= 2);
        assertEquals(List.of(), keys(ArchiveKeys.manifests(CLUSTER, 7)));
        assertEquals(1, archiver.metrics().failingGauge());
        assertFalse(archiver.idle());

        store.failAfterPuts = -1; // back
        awaitIdle();
        assertEquals(List.of(manifestKey(10)), keys(ArchiveKeys.manifests(CLUSTER, 7)));
        assertEquals(0, archiver.metrics().failingGauge());
        Path fetched = archiver.fetchLatest(7, tmp.newFolder("wiped").toPath());
        assertSameFiles(fetched, 10, SEG0, SEG1, CHECKPOINT);
    }

    @Test
    public void whileTheStoreIsUnboundOnlyTheNewestPendingSnapshotWaitsAndIsUploaded() throws Exception {
        write(SEG0, content("a", 10_000));
        write(CHECKPOINT, content("cp1", 100));
        TestArchives.unbindStore(archive, store); // ArchiveUnavailableException until bound again
        archiver().snapshotTaken(7, snapshot(10, SEG0, CHECKPOINT));
        await("a failure", () -> archiver.metrics().uploadFailures.sum() >= 1);
        for (long index : new long[] {20, 30}) {
            write(SEG0, content("a", (int) (10_000 + index)));
            archiver.snapshotTaken(7, snapshot(index, SEG0, CHECKPOINT));
        }
        Path pending = tmp.getRoot().toPath().resolve("pending").resolve("group-7");
        await("superseded pins released", () -> {
            try (Stream<Path> dirs = Files.list(pending)) {
                return dirs.count() == 1;
            } catch (IOException e) {
                return false;
            }
        });
        TestArchives.bindStore(archive, store, "local");
        awaitIdle();
        assertEquals("only the newest", List.of(manifestKey(30)), keys(ArchiveKeys.manifests(CLUSTER, 7)));
        assertEquals(1, archiver.metrics().uploads.sum());
        assertEquals(30, archiver.metrics().lastIndex("7"));
        try (Stream<Path> dirs = Files.list(pending)) {
            assertEquals(0, dirs.count());
        }
    }

    @Test
    public void snapshotsTakenDuringAnUploadLeaveItAloneAndOnlyTheNewestFollows() throws Exception {
        write(SEG0, content("a", 10_000));
        write(CHECKPOINT, content("cp1", 100));
        store.hold = new java.util.concurrent.CountDownLatch(1);
        archiver().snapshotTaken(7, snapshot(10, SEG0, CHECKPOINT));
        await("the upload in progress", () -> store.inFlight.get() == 1);
        for (long index : new long[] {20, 30}) {
            write(SEG0, content("a", (int) (10_000 + index)));
            archiver.snapshotTaken(7, snapshot(index, SEG0, CHECKPOINT));
        }
        store.hold.countDown();
        awaitIdle();
        assertEquals(0, archiver.metrics().uploadFailures.sum());
        assertEquals(List.of(manifestKey(10), manifestKey(30)), keys(ArchiveKeys.manifests(CLUSTER, 7)));
        assertEquals(2, archiver.metrics().uploads.sum());
    }

    @Test
    public void atMostMaxConcurrentUploadsRunAtOnce() throws Exception {
        settings = new SnapshotSettings(true, 0, 2, 3, "gzip");
        archiver();
        store.hold = new java.util.concurrent.CountDownLatch(1);
        for (int g = 1; g <= 4; g++) {
            String name = "0000000000000000000" + g + ".log";
            write(name, content("g" + g, 10_000));
            Path dir = snapshots.resolve("g" + g);
            Path part = Files.createDirectories(dir.resolve("t-0"));
            Files.createLink(part.resolve(name), logDir.resolve(name));
            new SnapshotManifest(g, 1, 10, List.of(new SnapshotManifest.Partition(TOPIC_ID, "t", 0, "t-0", false, 0, 10,
                    List.of(new LinkedFile(name, 10_000, true))))).writeTo(dir);
            archiver.snapshotTaken(g, DataSnapshotStorage.open(dir));
        }
        await("two uploads in progress", () -> store.inFlight.get() == 2);
        Thread.sleep(300);
        assertEquals(2, store.inFlight.get());
        store.hold.countDown();
        awaitIdle();
        assertEquals(2, store.maxInFlight.get());
        for (int g = 1; g <= 4; g++) {
            assertEquals(List.of(ArchiveKeys.manifest(CLUSTER, g, 10)), keys(ArchiveKeys.manifests(CLUSTER, g)));
        }
    }

    @Test
    public void aNewStoreGetsAFullSnapshot() throws Exception {
        write(SEG0, content("a", 30_000));
        write(CHECKPOINT, content("cp1", 100));
        archiver().snapshotTaken(7, snapshot(10, SEG0, CHECKPOINT));
        awaitIdle();
        LocalObjectStore second = new LocalObjectStore(tmp.newFolder("objects2").toPath(), "second");
        TestArchives.bindStore(archive, second, "second");
        write(SEG1, content("b", 1_000));
        archiver.snapshotTaken(7, snapshot(20, SEG0, SEG1, CHECKPOINT));
        awaitIdle();
        assertEquals(List.of(manifestKey(20)), second.list(ArchiveKeys.manifests(CLUSTER, 7)));
        assertEquals(3, second.list(ArchiveKeys.files(CLUSTER, 7)).size());
        assertEquals(30_100 + 31_100, archiver.metrics().uploadedBytes.sum());
    }

    @Test
    public void aSwitchOfStoresDuringAnUploadNeverLeavesAManifestOfObjectsTheNewStoreLacks() throws Exception {
        write(SEG0, content("a", 30_000));
        write(CHECKPOINT, content("cp1", 100));
        archiver().snapshotTaken(7, snapshot(10, SEG0, CHECKPOINT));
        awaitIdle();
        // the next snapshot's upload lists the old store, then its first put (the new tail of SEG0) is held while the
        // archive moves to another store: the rest of the upload, the manifest included, would go to the new store
        write(SEG0, content("a", 31_000));
        store.hold = new java.util.concurrent.CountDownLatch(1);
        archiver.snapshotTaken(7, snapshot(20, SEG0, CHECKPOINT));
        await("the upload in progress", () -> store.inFlight.get() == 1);
        LocalObjectStore second = new LocalObjectStore(tmp.newFolder("objects2").toPath(), "second");
        TestArchives.bindStore(archive, second, "second");
        store.hold.countDown();
        awaitIdle();
        // the switched upload is not published; retried, it uploads the snapshot in full to the new store
        assertEquals(List.of(manifestKey(20)), second.list(ArchiveKeys.manifests(CLUSTER, 7)));
        ArchivedSnapshot archived;
        try (InputStream in = archive.read(manifestKey(20))) {
            archived = ArchivedSnapshot.decode(CLUSTER, in.readAllBytes(), manifestKey(20));
        }
        assertEquals(new java.util.TreeSet<>(archived.keys()),
                new java.util.TreeSet<>(second.list(ArchiveKeys.files(CLUSTER, 7))));
        assertSameFiles(archiver.fetchLatest(7, tmp.newFolder("wiped").toPath()), 20, SEG0, CHECKPOINT);
        // the old store keeps its complete snapshot
        assertEquals(List.of(manifestKey(10)), keys(ArchiveKeys.manifests(CLUSTER, 7)));
    }

    @Test
    public void metadataSnapshotsAreArchivedWithRetention() throws Exception {
        settings = settings.withRetentionCount(2);
        archiver();
        for (int i = 1; i <= 3; i++) {
            Path file = logDir.resolve("metadata-" + i);
            Files.write(file, content("meta" + i, 5_000));
            archiver.metadataSnapshotTaken(org.apache.ratis.server.protocol.TermIndex.valueOf(1, i * 100L), file);
            awaitIdle();
        }
        assertEquals(List.of(ArchiveKeys.metadataSnapshot(CLUSTER, 200), ArchiveKeys.metadataSnapshot(CLUSTER, 300)),
                keys(ArchiveKeys.metadata(CLUSTER)));
        try (InputStream in = archive.read(ArchiveKeys.metadataSnapshot(CLUSTER, 300))) {
            assertArrayEquals(content("meta3", 5_000), in.readAllBytes());
        }
    }
}
