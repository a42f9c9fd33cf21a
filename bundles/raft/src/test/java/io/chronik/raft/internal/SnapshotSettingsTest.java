package io.chronik.raft.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.List;
import java.util.UUID;

import org.junit.Test;

import io.chronik.log.LinkedFile;

/** The snapshot settings' checks, the log threshold's former key, the archive's keys and manifest format. */
public class SnapshotSettingsTest {

    @Test
    public void settingsAreChecked() {
        assertEquals("gzip", SnapshotSettings.DEFAULT.compression());
        assertEquals("zstd", new SnapshotSettings(true, 0, 1, 1, " ZSTD ").compression());
        assertMessage("snapshot.max.concurrent must be >= 1", () -> new SnapshotSettings(true, 60, 0, 3, "gzip"));
        assertMessage("snapshot.retention.count must be >= 1", () -> new SnapshotSettings(true, 60, 2, 0, "gzip"));
        assertMessage("snapshot.time.threshold.secs must be >= 0", () -> new SnapshotSettings(true, -1, 2, 3, "gzip"));
        assertMessage("snapshot.compression must be one of [gzip, zstd, none], got 'lz4'",
                () -> new SnapshotSettings(true, 60, 2, 3, "lz4"));
    }

    @Test
    public void theLogThresholdFallsBackToItsFormerKeyThenTheDefault() {
        assertEquals(500, NodeSettings.logThreshold(500, 1024));
        assertEquals(1024, NodeSettings.logThreshold(-1, 1024));
        assertEquals(10_000, NodeSettings.logThreshold(-1, -1));
        assertMessage("snapshot.log.threshold must be >= 1, got 0", () -> NodeSettings.logThreshold(0, -1));
    }

    @Test
    public void keysSortByIndexAndRangesParse() {
        assertEquals("c/groups/3/manifests/00000000000000000042.manifest", ArchiveKeys.manifest("c", 3, 42));
        assertEquals(42, ArchiveKeys.manifestIndex(ArchiveKeys.manifest("c", 3, 42)));
        assertEquals(-1, ArchiveKeys.manifestIndex("c/groups/3/manifests/x.manifest"));
        assertEquals("c/metadata/00000000000000000007.snapshot", ArchiveKeys.metadataSnapshot("c", 7));
        ArchiveKeys.Range r = new ArchiveKeys.Range(10, 20, 0xcafebabe);
        assertEquals("00000000000000000010-00000000000000000020-cafebabe", r.name());
        assertEquals(r, ArchiveKeys.Range.parse(r.name()));
        assertEquals(null, ArchiveKeys.Range.parse("10-20-cafebabe"));
    }

    @Test
    public void anArchivedManifestRoundTripsAndRefusesDamage() throws Exception {
        UUID id = new UUID(3, 4);
        SnapshotManifest m = new SnapshotManifest(5, 2, 99, List.of(new SnapshotManifest.Partition(id, "t", 1, "t-1",
                false, 0, 10, List.of(new LinkedFile("0.log", 30, true), new LinkedFile("checkpoint", 0, false)))));
        ArchivedSnapshot a = new ArchivedSnapshot("c", m, List.of(List.of(
                List.of(new ArchiveKeys.Range(0, 10, 1), new ArchiveKeys.Range(10, 30, 2)), List.of())));
        byte[] bytes = a.encode();
        ArchivedSnapshot back = ArchivedSnapshot.decode("c", bytes, "k");
        assertEquals(a, back);
        assertEquals(2, back.keys().size());
        assertTrue(back.keys().contains("c/groups/5/files/" + id + "-1/0.log/" + new ArchiveKeys.Range(10, 30, 2).name()));
        bytes[20] ^= 1;
        assertMessage("k: archived snapshot manifest fails its CRC32 check", () -> ArchivedSnapshot.decode("c", bytes, "k"));
        assertMessage("does not start at 10", () -> new ArchivedSnapshot("c", m, List.of(List.of(
                List.of(new ArchiveKeys.Range(0, 10, 1), new ArchiveKeys.Range(11, 30, 2)), List.of()))));
        assertMessage("ranges end at 20, the file has 30", () -> new ArchivedSnapshot("c", m, List.of(List.of(
                List.of(new ArchiveKeys.Range(0, 20, 1)), List.of()))));
    }

    private static void assertMessage(String expected, org.junit.function.ThrowingRunnable r) {
        Throwable e = assertThrows(Throwable.class, r);
        assertTrue(e.getMessage(), e.getMessage().contains(expected));
    }
}
