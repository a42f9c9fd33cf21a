package io.chronik.raft.internal;

import java.util.List;
import java.util.Locale;

/**
 * The settings of snapshots beyond the Raft log threshold ({@link NodeSettings#snapshotThresholdEntries}), checked
 * once: whether snapshots are archived to the object store, the periodic snapshot, the archive's concurrency and
 * retention, and the codec the archive compresses with (configured on the archive, {@code codec=}; checked here so a
 * bad value is reported with the other settings).
 *
 * @param enabled            archive snapshots to the object store (local Raft snapshots happen regardless)
 * @param timeThresholdSecs  a group that applied entries since its last snapshot takes one at least this often; 0: off
 * @param maxConcurrent      snapshot uploads at once on this node
 * @param retentionCount     archived snapshots kept per group (and of the metadata group)
 * @param compression        gzip, zstd or none
 */
record SnapshotSettings(boolean enabled, long timeThresholdSecs, int maxConcurrent, int retentionCount,
                        String compression) {
    static final List<String> CODECS = List.of("gzip", "zstd", "none");
    static final SnapshotSettings DEFAULT = new SnapshotSettings(true, 3600, 2, 3, "gzip");

    SnapshotSettings {
        if (timeThresholdSecs < 0) {
            throw new IllegalArgumentException("snapshot.time.threshold.secs must be >= 0, got " + timeThresholdSecs);
        }
        if (maxConcurrent < 1) {
            throw new IllegalArgumentException("snapshot.max.concurrent must be >= 1, got " + maxConcurrent);
        }
        if (retentionCount < 1) {
            throw new IllegalArgumentException("snapshot.retention.count must be >= 1, got " + retentionCount);
        }
        compression = compression == null ? "" : compression.trim().toLowerCase(Locale.ROOT);
        if (!CODECS.contains(compression)) {
            throw new IllegalArgumentException("snapshot.compression must be one of " + CODECS + ", got '" + compression + "'");
        }
    }

    static SnapshotSettings from(RaftConfig c) {
        return new SnapshotSettings(c.snapshot_enabled(), c.snapshot_time_threshold_secs(), c.snapshot_max_concurrent(),
                c.snapshot_retention_count(), c.snapshot_compression());
    }

    SnapshotSettings withTimeThreshold(long secs) {
        return new SnapshotSettings(enabled, secs, maxConcurrent, retentionCount, compression);
    }

    SnapshotSettings withRetentionCount(int count) {
        return new SnapshotSettings(enabled, timeThresholdSecs, maxConcurrent, count, compression);
    }
}
