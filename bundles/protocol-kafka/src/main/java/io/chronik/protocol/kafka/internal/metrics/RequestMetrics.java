package io.chronik.protocol.kafka.internal.metrics;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.metrics.MetricSink;
import io.chronik.api.metrics.MetricSource;
import io.chronik.metrics.recorder.DurationHistogram;

/**
 * Kafka requests as this node serves them, by API (label {@code api}: Kafka's API name, {@link ApiKeys#name}, such as
 * {@code Produce}, {@code Fetch}, {@code JoinGroup}), a {@link MetricSource} labelled {@code node_id}:
 * <ul>
 * <li>{@code chronik_kafka_requests_total{api}}: requests decoded (Kafka's {@code RequestsPerSec});</li>
 * <li>{@code chronik_kafka_request_duration_seconds{api}}: histogram of the time from a request decoded to its
 * response queued on the connection (or, for a request without a response such as a Produce with acks=0, to its
 * completion) — Kafka's {@code TotalTimeMs}, including the time a pipelined response waits for earlier ones; a request
 * whose connection is closed instead is not observed;</li>
 * <li>{@code chronik_kafka_request_errors_total{api,error}}: the error codes in the responses (label {@code error}:
 * Kafka's {@link Errors} name such as {@code NOT_LEADER_OR_FOLLOWER}), counted per occurrence as Kafka's
 * {@code ErrorsPerSec} counts them ({@link ResponseErrors}: a Produce response with two failed partitions counts two),
 * {@code NONE} left out.</li>
 * </ul>
 * Only APIs that have been requested at least once are written (at most the implemented APIs), and only the error
 * codes seen. Recording is lock-free ({@link LongAdder}s, an {@link AtomicLongArray} of error counts per API);
 * thread-safe; {@link #collect} only reads counters.
 */
public final class RequestMetrics implements MetricSource {
    /** Latency buckets from 0.5 ms to 30 s: long polls (Fetch, JoinGroup) wait for seconds. */
    static final double[] BOUNDS_SECONDS = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
        5, 10, 30};
    private static final Errors[] ERRORS = Errors.values();

    private static final Logger LOG = LoggerFactory.getLogger(RequestMetrics.class);

    private final String nodeId;
    private final AtomicReferenceArray<PerApi> apis;
    private final AtomicBoolean warned = new AtomicBoolean();

    public RequestMetrics(int nodeId) {
        this.nodeId = Integer.toString(nodeId);
        int maxId = 0;
        for (ApiKeys k : ApiKeys.values()) {
            maxId = Math.max(maxId, k.id);
        }
        this.apis = new AtomicReferenceArray<>(maxId + 1);
    }

    /** The counters of one API. */
    private static final class PerApi {
        final ApiKeys api;
        final LongAdder requests = new LongAdder();
        final DurationHistogram duration = new DurationHistogram(BOUNDS_SECONDS);
        final AtomicLongArray errors = new AtomicLongArray(ERRORS.length);

        PerApi(ApiKeys api) {
            this.api = api;
        }
    }

    private PerApi of(ApiKeys api) {
        PerApi p = apis.get(api.id);
        if (p == null) {
            apis.compareAndSet(api.id, null, new PerApi(api));
            p = apis.get(api.id);
        }
        return p;
    }

    /**
     * A request of {@code api} was decoded. Returns the {@link System#nanoTime()} to give to {@link #completed} with
     * its outcome. Any thread.
     */
    public long received(ApiKeys api) {
        of(api).requests.increment();
        return System.nanoTime();
    }

    /**
     * A request of {@code api} received at {@code startNanos} was answered with {@code response} at {@code version}
     * (queued on its connection), or completed without a response ({@code response} null): observes its duration and
     * counts the error codes in the response. Reads {@code response} during the call only. Any thread; never throws
     * for a response it cannot read (it logs that and counts no errors).
     */
    public void completed(ApiKeys api, long startNanos, ApiMessage response, short version) {
        PerApi p = of(api);
        p.duration.recordSince(startNanos);
        if (response != null) {
            try {
                ResponseErrors.count(api, response, version, (error, n) -> p.errors.addAndGet(error.ordinal(), n));
            } catch (RuntimeException e) {
                // a metric must never fail the connection that writes the response
                if (warned.compareAndSet(false, true)) {
                    LOG.warn("cannot count the errors of a {} v{} response (further failures are logged at debug)", api,
                            version, e);
                } else {
                    LOG.debug("cannot count the errors of a {} v{} response", api, version, e);
                }
            }
        }
    }

    @Override
    public void collect(MetricSink sink) {
        MetricSink.Family requests = sink.family("chronik_kafka_requests",
                "Kafka requests decoded, by API (Kafka's RequestsPerSec)", MetricSink.Type.COUNTER, "node_id", "api");
        MetricSink.Histogram duration = sink.histogram("chronik_kafka_request_duration_seconds",
                "Time from a Kafka request decoded to its response queued, by API (Kafka's TotalTimeMs)",
                BOUNDS_SECONDS, "node_id", "api");
        MetricSink.Family errors = sink.family("chronik_kafka_request_errors",
                "Error codes in Kafka responses, by API and error (Kafka's ErrorsPerSec without NONE)",
                MetricSink.Type.COUNTER, "node_id", "api", "error");
        for (int i = 0; i < apis.length(); i++) {
            PerApi p = apis.get(i);
            if (p == null) {
                continue;
            }
            String api = p.api.name;
            requests.sample(p.requests.sum(), nodeId, api);
            p.duration.writeTo(duration, nodeId, api);
            for (int e = 0; e < ERRORS.length; e++) {
                long n = p.errors.get(e);
                if (n > 0) {
                    errors.sample(n, nodeId, api, ERRORS[e].name());
                }
            }
        }
    }
}
