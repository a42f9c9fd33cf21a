package io.chronik.raft.internal;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

import io.chronik.api.metrics.MetricSink;
import io.chronik.api.metrics.MetricSource;
import io.chronik.metrics.recorder.DurationHistogram;

/**
 * The Raft snapshots of one node's groups, as a {@link MetricSource} labelled {@code node_id} and, per group,
 * {@code group} (the data group's number, or {@code metadata}):
 * <ul>
 * <li>{@code chronik_raft_snapshots_total}, {@code chronik_raft_snapshot_failures_total}: snapshots taken here and
 * attempts that failed;</li>
 * <li>{@code chronik_raft_snapshot_last_index}, {@code chronik_raft_snapshot_last_bytes}: the Raft index and the
 * data size (bytes of the partition files it holds, or of the metadata file) of the group's latest snapshot here;</li>
 * <li>{@code chronik_raft_snapshot_duration_seconds}: histogram of the time to take one (checkpoint, links, manifest);</li>
 * <li>{@code chronik_raft_snapshot_installs_total}, {@code chronik_raft_snapshot_installed_bytes_total}: snapshots
 * installed from a leader (or fetched from the object store) and their data size;</li>
 * <li>{@code chronik_raft_snapshot_install_duration_seconds}: histogram of the time from the first chunk received to
 * the group running again on the installed snapshot (partitions rebuilt).</li>
 * </ul>
 * Thread-safe; {@link #collect} only reads counters.
 */
final class SnapshotMetrics implements MetricSource {
    static final String METADATA = "metadata";

    private static final class Group {
        final LongAdder taken = new LongAdder();
        final LongAdder failed = new LongAdder();
        final LongAdder installs = new LongAdder();
        final LongAdder installedBytes = new LongAdder();
        volatile long lastIndex = -1;
        volatile long lastBytes;
    }

    private final String nodeId;
    private final Map<String, Group> groups = new ConcurrentHashMap<>();
    private final DurationHistogram takeDuration = DurationHistogram.latency();
    private final DurationHistogram installDuration = DurationHistogram.latency();

    SnapshotMetrics(int nodeId) {
        this.nodeId = Integer.toString(nodeId);
    }

    private Group group(String name) {
        return groups.computeIfAbsent(name, g -> new Group());
    }

    static String dataGroup(int groupNo) {
        return Integer.toString(groupNo);
    }

    void taken(String group, long index, long bytes, long nanos) {
        Group g = group(group);
        g.taken.increment();
        g.lastIndex = index;
        g.lastBytes = bytes;
        takeDuration.record(nanos);
    }

    void failed(String group) {
        group(group).failed.increment();
    }

    void installed(String group, long index, long bytes, long nanos) {
        Group g = group(group);
        g.installs.increment();
        g.installedBytes.add(bytes);
        g.lastIndex = Math.max(g.lastIndex, index);
        installDuration.record(nanos);
    }

    long taken(String group) {
        Group g = groups.get(group);
        return g == null ? 0 : g.taken.sum();
    }

    long installs(String group) {
        Group g = groups.get(group);
        return g == null ? 0 : g.installs.sum();
    }

    @Override
    public void collect(MetricSink sink) {
        MetricSink.Family taken = sink.family("chronik_raft_snapshots", "Raft snapshots taken on this node",
                MetricSink.Type.COUNTER, "node_id", "group");
        MetricSink.Family failed = sink.family("chronik_raft_snapshot_failures", "Raft snapshots that failed",
                MetricSink.Type.COUNTER, "node_id", "group");
        MetricSink.Family lastIndex = sink.family("chronik_raft_snapshot_last_index",
                "Raft index of the group's latest snapshot on this node", MetricSink.Type.GAUGE, "node_id", "group");
        MetricSink.Family lastBytes = sink.family("chronik_raft_snapshot_last_bytes",
                "Data bytes held by the group's latest snapshot on this node", MetricSink.Type.GAUGE, "node_id", "group");
        MetricSink.Family installs = sink.family("chronik_raft_snapshot_installs",
                "Snapshots installed on this node (from the leader or the object store)", MetricSink.Type.COUNTER,
                "node_id", "group");
        MetricSink.Family installed = sink.family("chronik_raft_snapshot_installed_bytes",
                "Data bytes of the snapshots installed on this node", MetricSink.Type.COUNTER, "node_id", "group");
        groups.forEach((name, g) -> {
            taken.sample(g.taken.sum(), nodeId, name);
            failed.sample(g.failed.sum(), nodeId, name);
            lastIndex.sample(g.lastIndex, nodeId, name);
            lastBytes.sample(g.lastBytes, nodeId, name);
            installs.sample(g.installs.sum(), nodeId, name);
            installed.sample(g.installedBytes.sum(), nodeId, name);
        });
        takeDuration.writeTo(sink.histogram("chronik_raft_snapshot_duration_seconds", "Time to take a Raft snapshot",
                takeDuration.upperBoundsSeconds(), "node_id"), nodeId);
        installDuration.writeTo(sink.histogram("chronik_raft_snapshot_install_duration_seconds",
                "Time from the first snapshot chunk received to the group running on the installed snapshot",
                installDuration.upperBoundsSeconds(), "node_id"), nodeId);
    }
}
