package io.chronik.raft.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.UUID;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import io.chronik.log.LinkedFile;
import io.chronik.log.LogConfig;
import io.chronik.log.SegmentLog;

/**
 * A data group's local snapshots on disk: what a snapshot holds stays as it was while the log goes on, and a damaged
 * snapshot (manifest failing its CRC, a file shorter than the manifest says) is refused for the next older one.
 */
public class DataSnapshotStorageTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private static final UUID TOPIC_ID = UUID.randomUUID();

    /** Writes a snapshot of {@code log} at {@code index} into {@code snapshots} the way {@link DataSnapshotStorage#take} does. */
    private static Path snapshot(SegmentLog log, Path snapshots, long index) throws IOException {
        Path dir = snapshots.resolve("snapshot.1_" + index);
        List<LinkedFile> files = log.checkpointInto(index, 1, dir.resolve("t-0"));
        new SnapshotManifest(7, 1, index, List.of(new SnapshotManifest.Partition(TOPIC_ID, "t", 0, "t-0", false,
                log.logStartOffset(), log.logEndOffset(), files))).writeTo(dir);
        return dir;
    }

    @Test
    public void aSnapshotKeepsItsBytesWhileTheLogGoesOn() throws Exception {
        Path sm = tmp.newFolder("sm").toPath();
        SegmentLog log = SegmentLog.open(tmp.newFolder("t-0").toPath(), LogConfig.defaultConfig());
        for (int i = 0; i < 10; i++) {
            log.append(TestNodes.batch("a" + i), 1, System.currentTimeMillis());
        }
        DataSnapshotStorage storage = new DataSnapshotStorage(() -> "test");
        storage.init(sm);
        assertNull(storage.latest());
        Path dir = snapshot(log, sm.resolve(DataSnapshotStorage.DIR_NAME), 10);
        byte[] before = log.read(0, 1 << 20, log.logEndOffset()).array();
        for (int i = 0; i < 10; i++) {
            log.append(TestNodes.batch("b" + i), 1, System.currentTimeMillis()); // the linked segment grows
        }
        DataSnapshotStorage.DataSnapshot s = storage.load();
        assertEquals(10, s.index());
        assertEquals(10, s.manifest().partitions().get(0).logEndOffset());
        // the snapshot's copy, opened as a log, holds exactly the first ten batches
        Path copy = tmp.newFolder("copy").toPath();
        for (LinkedFile f : s.manifest().partitions().get(0).files()) {
            Files.copy(dir.resolve("t-0").resolve(f.name()), copy.resolve(f.name()));
        }
        SegmentLog restored = SegmentLog.open(copy, LogConfig.defaultConfig());
        assertEquals(10, restored.logEndOffset());
        ByteBuffer read = restored.read(0, 1 << 20, 10);
        byte[] after = new byte[read.remaining()];
        read.get(after);
        byte[] expected = new byte[after.length];
        System.arraycopy(before, 0, expected, 0, expected.length);
        assertArrayEquals(expected, after);
        // what Ratis sends: each file's bytes that belong to the snapshot, and the manifest
        assertEquals(s.manifest().bytes() + Files.size(dir.resolve(SnapshotManifest.FILE_NAME)),
                s.info().getFiles().stream().mapToLong(f -> f.getFileSize()).sum());
        restored.close();
        log.close();
    }

    @Test
    public void aDamagedSnapshotIsRefusedForTheNextOlderOne() throws Exception {
        Path sm = tmp.newFolder("sm").toPath();
        Path snapshots = sm.resolve(DataSnapshotStorage.DIR_NAME);
        SegmentLog log = SegmentLog.open(tmp.newFolder("t-0").toPath(), LogConfig.defaultConfig());
        log.append(TestNodes.batch("a"), 1, System.currentTimeMillis());
        snapshot(log, snapshots, 5);
        log.append(TestNodes.batch("b"), 1, System.currentTimeMillis());
        Path newer = snapshot(log, snapshots, 9);
        Files.createDirectories(snapshots.resolve("snapshot.1_12.tmp")); // unfinished: removed at start
        DataSnapshotStorage storage = new DataSnapshotStorage(() -> "test");
        storage.init(sm);
        assertEquals(9, storage.latest().index());
        assertFalse(Files.exists(snapshots.resolve("snapshot.1_12.tmp")));

        // a flipped byte in the manifest: its CRC32 refuses it
        Path manifest = newer.resolve(SnapshotManifest.FILE_NAME);
        byte[] bytes = Files.readAllBytes(manifest);
        bytes[20] ^= 0x40;
        Files.write(manifest, bytes);
        assertEquals(5, storage.load().index());
        try {
            SnapshotManifest.readFrom(newer);
            fail("a damaged manifest was read");
        } catch (IOException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("CRC32"));
        }

        // a segment shorter than the manifest says
        snapshot(log, snapshots, 11);
        Path segment;
        try (var files = Files.list(snapshots.resolve("snapshot.1_11").resolve("t-0"))) {
            segment = files.filter(p -> p.toString().endsWith(".log")).findFirst().orElseThrow();
        }
        Files.delete(segment); // break the link before cutting, or the live log would be cut too
        try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[10]));
        }
        assertEquals(5, storage.load().index());
        log.close();
    }

    @Test
    public void segmentsTheLogDropsAreDroppedFromItsSnapshots() throws Exception {
        Path sm = tmp.newFolder("sm").toPath();
        Path live = tmp.newFolder("t-0").toPath();
        SegmentLog log = SegmentLog.open(live, LogConfig.of(java.util.Map.of(LogConfig.SEGMENT_BYTES, "200")));
        for (int i = 0; i < 20; i++) {
            log.append(TestNodes.batch("value-" + i), 1, System.currentTimeMillis()); // a segment every batch or two
        }
        DataSnapshotStorage storage = new DataSnapshotStorage(() -> "test");
        storage.init(sm);
        Path dir = snapshot(log, sm.resolve(DataSnapshotStorage.DIR_NAME), 20);
        storage.load();
        int before = storage.latest().manifest().partitions().get(0).files().size();
        assertTrue("segments: " + log.segmentCount(), log.segmentCount() > 5);

        long start = log.deleteRecordsBefore(12);
        storage.pruneBelow("t-0", start, live);
        SnapshotManifest.Partition p = storage.latest().manifest().partitions().get(0);
        assertEquals(12, p.logStartOffset());
        assertTrue(p.files().size() + " of " + before, p.files().size() < before);
        // what is left opens as a log from 12 (or the segment holding it) to 20, with the same bytes
        Path copy = tmp.newFolder("copy").toPath();
        for (LinkedFile f : p.files()) {
            Files.copy(dir.resolve("t-0").resolve(f.name()), copy.resolve(f.name()));
        }
        try (var files = Files.list(dir.resolve("t-0"))) {
            assertEquals(p.files().size(), files.count());
        }
        SegmentLog restored = SegmentLog.open(copy, LogConfig.defaultConfig());
        assertEquals(12, restored.logStartOffset());
        assertEquals(20, restored.logEndOffset());
        assertEquals(values(log, 12), values(restored, 12));
        assertEquals("12:value-12", values(restored, 12).get(0));
        restored.close();
        log.close();
    }

    /** Every record from {@code offset} on, as "offset:value". */
    private static List<String> values(SegmentLog log, long offset) throws Exception {
        List<String> out = new java.util.ArrayList<>();
        long end = log.logEndOffset();
        for (long next = offset; next < end; ) {
            for (org.apache.kafka.common.record.RecordBatch b : org.apache.kafka.common.record.MemoryRecords
                    .readableRecords(log.read(next, 1 << 20, end)).batches()) {
                for (org.apache.kafka.common.record.Record r : b) {
                    if (r.offset() >= next) {
                        out.add(r.offset() + ":" + java.nio.charset.StandardCharsets.UTF_8.decode(r.value()));
                    }
                }
                next = b.lastOffset() + 1;
            }
        }
        return out;
    }

    @Test
    public void aManifestRoundTripsAndRefusesNamesOutsideTheSnapshot() throws Exception {
        SnapshotManifest m = new SnapshotManifest(3, 4, 100, List.of(new SnapshotManifest.Partition(TOPIC_ID, "t", 2,
                "t-2.g3", true, 5, 50, List.of(new LinkedFile("00000000000000000000.log", 1234, true),
                        new LinkedFile("checkpoint", 99, false)))));
        assertEquals(m, SnapshotManifest.decode(m.encode(), "test"));
        SnapshotManifest bad = new SnapshotManifest(3, 4, 100, List.of(new SnapshotManifest.Partition(TOPIC_ID, "t", 2,
                "../etc", false, 0, 0, List.of())));
        try {
            SnapshotManifest.decode(bad.encode(), "test");
            fail("a manifest naming ../etc was accepted");
        } catch (IOException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("invalid file"));
        }
    }
}
