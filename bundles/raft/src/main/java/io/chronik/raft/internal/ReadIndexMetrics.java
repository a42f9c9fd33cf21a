package io.chronik.raft.internal;

import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

import io.chronik.api.metrics.MetricSink;
import io.chronik.api.metrics.MetricSource;
import io.chronik.metrics.recorder.DurationHistogram;

/**
 * The ReadIndex barriers of one node, summed over its data groups ({@link ReadIndexRounds} of every group report
 * here), as a {@link MetricSource} labelled {@code node_id}:
 * <ul>
 * <li>{@code chronik_raft_read_index_rounds_total}: ReadIndex rounds started;</li>
 * <li>{@code chronik_raft_read_index_barriers_total}: barriers asked for, whoever asks: a follower fetch waiting for
 * new records asks one per partition, the group coordinator one per offsets partition it loads; under load many
 * share a round;</li>
 * <li>{@code chronik_raft_read_index_failures_total}: rounds that failed (no leader, not running, timed out ...);</li>
 * <li>{@code chronik_raft_read_index_duration_seconds}: histogram of the rounds' latency, from start to this replica
 * having applied up to the read index, failed rounds included (0.5 ms to 5 s buckets).</li>
 * </ul>
 * Thread-safe; {@link #collect} only reads counters.
 */
final class ReadIndexMetrics implements MetricSource {
    private final String nodeId;
    private final LongSupplier nanoClock;
    private final LongAdder rounds = new LongAdder();
    private final LongAdder barriers = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private final DurationHistogram duration = DurationHistogram.latency();

    ReadIndexMetrics(int nodeId) {
        this(nodeId, System::nanoTime);
    }

    /** @param nanoClock a {@link System#nanoTime()}-like clock, for tests */
    ReadIndexMetrics(int nodeId, LongSupplier nanoClock) {
        this.nodeId = Integer.toString(nodeId);
        this.nanoClock = nanoClock;
    }

    void barrierAsked() {
        barriers.increment();
    }

    /** @return the round's start time, to give to {@link #roundFinished} */
    long roundStarted() {
        rounds.increment();
        return nanoClock.getAsLong();
    }

    void roundFinished(long startNanos, boolean failed) {
        duration.record(nanoClock.getAsLong() - startNanos);
        if (failed) {
            failures.increment();
        }
    }

    long rounds() {
        return rounds.sum();
    }

    long barriers() {
        return barriers.sum();
    }

    long failures() {
        return failures.sum();
    }

    DurationHistogram duration() {
        return duration;
    }

    @Override
    public void collect(MetricSink sink) {
        sink.family("chronik_raft_read_index_rounds", "ReadIndex rounds started by this node's data groups",
                MetricSink.Type.COUNTER, "node_id").sample(rounds.sum(), nodeId);
        sink.family("chronik_raft_read_index_barriers", "ReadIndex barriers asked for (follower fetches, coordinator loads), served by rounds",
                MetricSink.Type.COUNTER, "node_id").sample(barriers.sum(), nodeId);
        sink.family("chronik_raft_read_index_failures", "ReadIndex rounds that failed", MetricSink.Type.COUNTER,
                "node_id").sample(failures.sum(), nodeId);
        duration.writeTo(sink.histogram("chronik_raft_read_index_duration_seconds",
                "Latency of ReadIndex rounds until applied locally, failed ones included", duration.upperBoundsSeconds(),
                "node_id"), nodeId);
    }
}
