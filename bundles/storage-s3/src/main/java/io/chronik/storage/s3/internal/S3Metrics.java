package io.chronik.storage.s3.internal;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

import io.chronik.api.metrics.MetricSink;
import io.chronik.api.metrics.MetricSource;

/**
 * Counters of one S3 store, by operation ({@code put}, {@code get}, {@code ranged_get}, {@code size}, {@code list},
 * {@code delete}, {@code check_bucket}): operations, failures (not counting "no such key", which is an answer),
 * seconds spent (sum; divided by the operation count it is the mean latency, SDK retries included), and bytes
 * written and read. Published as a {@link MetricSource} with the store's registration.
 *
 * <p>Thread-safe; recording is lock-free, {@link #collect} reads the counters.
 */
final class S3Metrics implements MetricSource {
    private final String store;
    private final Map<String, Operation> operations = new ConcurrentHashMap<>();
    private final LongAdder bytesWritten = new LongAdder();
    private final LongAdder bytesRead = new LongAdder();

    S3Metrics(String store) {
        this.store = store;
    }

    private static final class Operation {
        final LongAdder count = new LongAdder();
        final LongAdder failures = new LongAdder();
        final LongAdder nanos = new LongAdder();
    }

    /** Records one {@code operation} that took {@code nanos} and failed or not. */
    void record(String operation, long nanos, boolean failed) {
        Operation o = operations.computeIfAbsent(operation, k -> new Operation());
        o.count.increment();
        o.nanos.add(nanos);
        if (failed) {
            o.failures.increment();
        }
    }

    void written(long bytes) {
        bytesWritten.add(bytes);
    }

    void read(long bytes) {
        bytesRead.add(bytes);
    }

    /** {@code in}, counting the bytes read from it. */
    InputStream counting(InputStream in) {
        return new FilterInputStream(in) {
            @Override
            public int read() throws IOException {
                int b = super.read();
                if (b >= 0) {
                    bytesRead.increment();
                }
                return b;
            }

            @Override
            public int read(byte[] buffer, int offset, int length) throws IOException {
                int n = super.read(buffer, offset, length);
                if (n > 0) {
                    bytesRead.add(n);
                }
                return n;
            }
        };
    }

    /** The count of {@code operation} (tests). */
    long count(String operation) {
        Operation o = operations.get(operation);
        return o == null ? 0 : o.count.sum();
    }

    /** The failures of {@code operation} (tests). */
    long failures(String operation) {
        Operation o = operations.get(operation);
        return o == null ? 0 : o.failures.sum();
    }

    long bytesWritten() {
        return bytesWritten.sum();
    }

    long bytesRead() {
        return bytesRead.sum();
    }

    @Override
    public void collect(MetricSink sink) {
        MetricSink.Family count = sink.family("chronik_s3_operations",
                "Object store operations on S3, by operation (each may be several HTTP requests)",
                MetricSink.Type.COUNTER, "store", "operation");
        MetricSink.Family failures = sink.family("chronik_s3_operation_failures",
                "Object store operations on S3 that failed after the SDK's retries (a missing key is not a failure)",
                MetricSink.Type.COUNTER, "store", "operation");
        MetricSink.Family seconds = sink.family("chronik_s3_operation_seconds",
                "Time spent in object store operations on S3 (sum; divided by chronik_s3_operations: mean latency)",
                MetricSink.Type.COUNTER, "store", "operation");
        operations.forEach((name, o) -> {
            count.sample(o.count.sum(), store, name);
            failures.sample(o.failures.sum(), store, name);
            seconds.sample(o.nanos.sum() / 1e9, store, name);
        });
        sink.family("chronik_s3_written_bytes", "Bytes stored on S3 by puts that succeeded", MetricSink.Type.COUNTER,
                "store").sample(bytesWritten.sum(), store);
        sink.family("chronik_s3_read_bytes", "Bytes read from S3 by gets and ranged gets", MetricSink.Type.COUNTER,
                "store").sample(bytesRead.sum(), store);
    }
}
