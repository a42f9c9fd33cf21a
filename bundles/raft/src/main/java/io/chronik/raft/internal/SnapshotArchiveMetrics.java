package io.chronik.raft.internal;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

import io.chronik.api.metrics.MetricSink;
import io.chronik.api.metrics.MetricSource;
import io.chronik.metrics.recorder.DurationHistogram;

/**
 * The snapshot archive of one node ({@link ObjectSnapshotArchiver}) as a {@link MetricSource}, labelled
 * {@code node_id} (and {@code group} where it applies; the metadata group is {@code group="metadata"}):
 * <ul>
 * <li>{@code chronik_snapshot_archive_uploads_total}, {@code chronik_snapshot_archive_upload_failures_total}: snapshot
 * uploads finished, and attempts that failed (each retried);</li>
 * <li>{@code chronik_snapshot_archive_uploaded_bytes_total}: file bytes sent to the archive (before compression);
 * {@code chronik_snapshot_archive_skipped_bytes_total}: file bytes of snapshots that were already archived (sealed
 * segments, unchanged state files) and not sent again;</li>
 * <li>{@code chronik_snapshot_archive_upload_duration_seconds}: histogram of successful uploads;</li>
 * <li>{@code chronik_snapshot_archive_last_index}: per group, the Raft index of the newest archived snapshot;</li>
 * <li>{@code chronik_snapshot_archive_fetches_total}, {@code chronik_snapshot_archive_fetch_failures_total},
 * {@code chronik_snapshot_archive_fetch_duration_seconds}: snapshots fetched by a node without data of a group, and
 * archived snapshots refused (corrupt, truncated, missing objects);</li>
 * <li>{@code chronik_snapshot_archive_retention_deleted_objects_total}: objects deleted by retention;</li>
 * <li>{@code chronik_snapshot_archive_failing}: 1 while uploads fail (a failure streak), else 0.</li>
 * </ul>
 * Thread-safe.
 */
final class SnapshotArchiveMetrics implements MetricSource {
    private static final double[] SECONDS = {0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800};

    private final String nodeId;
    final LongAdder uploads = new LongAdder();
    final LongAdder uploadFailures = new LongAdder();
    final LongAdder uploadedBytes = new LongAdder();
    final LongAdder skippedBytes = new LongAdder();
    final DurationHistogram uploadDuration = new DurationHistogram(SECONDS);
    final LongAdder fetches = new LongAdder();
    final LongAdder fetchFailures = new LongAdder();
    final DurationHistogram fetchDuration = new DurationHistogram(SECONDS);
    final LongAdder deletedObjects = new LongAdder();
    /** Objects put (range objects, state files, manifests, metadata snapshots). */
    final LongAdder objectsPut = new LongAdder();
    private final Map<String, Long> lastIndex = new ConcurrentHashMap<>();
    private volatile boolean failing;

    SnapshotArchiveMetrics(int nodeId) {
        this.nodeId = Integer.toString(nodeId);
    }

    void archived(String group, long index) {
        lastIndex.merge(group, index, Math::max);
    }

    long lastIndex(String group) {
        return lastIndex.getOrDefault(group, -1L);
    }

    void failing(boolean f) {
        failing = f;
    }

    int failingGauge() {
        return failing ? 1 : 0;
    }

    @Override
    public void collect(MetricSink sink) {
        counter(sink, "chronik_snapshot_archive_uploads", "Snapshots uploaded to the object store", uploads);
        counter(sink, "chronik_snapshot_archive_upload_failures", "Snapshot upload attempts that failed (retried)",
                uploadFailures);
        counter(sink, "chronik_snapshot_archive_uploaded_bytes", "Snapshot file bytes sent to the archive (uncompressed)",
                uploadedBytes);
        counter(sink, "chronik_snapshot_archive_skipped_bytes",
                "Snapshot file bytes already in the object store (sealed segments, unchanged files), not sent again",
                skippedBytes);
        uploadDuration.writeTo(sink.histogram("chronik_snapshot_archive_upload_duration_seconds",
                "Duration of successful snapshot uploads", uploadDuration.upperBoundsSeconds(), "node_id"), nodeId);
        counter(sink, "chronik_snapshot_archive_fetches", "Snapshots fetched from the object store", fetches);
        counter(sink, "chronik_snapshot_archive_fetch_failures",
                "Archived snapshots refused while fetching (corrupt, truncated or missing objects, store errors)",
                fetchFailures);
        fetchDuration.writeTo(sink.histogram("chronik_snapshot_archive_fetch_duration_seconds",
                "Duration of snapshot fetches from the object store", fetchDuration.upperBoundsSeconds(), "node_id"),
                nodeId);
        counter(sink, "chronik_snapshot_archive_retention_deleted_objects",
                "Archived objects deleted by snapshot retention", deletedObjects);
        sink.family("chronik_snapshot_archive_failing", "1 while snapshot uploads are failing, else 0",
                MetricSink.Type.GAUGE, "node_id").sample(failing ? 1 : 0, nodeId);
        MetricSink.Family last = sink.family("chronik_snapshot_archive_last_index",
                "Raft index of the newest snapshot this node archived, per group", MetricSink.Type.GAUGE, "node_id",
                "group");
        lastIndex.forEach((group, index) -> last.sample(index, nodeId, group));
    }

    private void counter(MetricSink sink, String name, String help, LongAdder value) {
        sink.family(name, help, MetricSink.Type.COUNTER, "node_id").sample(value.sum(), nodeId);
    }
}
