package io.chronik.storage.s3.internal;

import java.util.Dictionary;
import java.util.Hashtable;

import io.chronik.api.metrics.MetricSink;
import io.chronik.api.metrics.MetricSource;
import io.chronik.api.store.ObjectStore;
import io.chronik.api.store.ObjectStoreStatus;

/**
 * The availability of the configured S3 store, registered by {@link S3StoreComponent} as {@link ObjectStoreStatus}
 * and {@link MetricSource} ({@code chronik_s3_store_available}, 1 or 0, and
 * {@code chronik_s3_store_check_failures_total}) for as long as a bucket is configured, whether the store is
 * registered or not. Thread-safe.
 */
final class StoreStatus implements ObjectStoreStatus, MetricSource {
    private final String storeName;
    private volatile String state = CHECKING;
    private volatile String problem;
    private volatile long checkFailures;

    StoreStatus(String storeName) {
        this.storeName = storeName;
    }

    @Override
    public String state() {
        return state;
    }

    @Override
    public String problem() {
        return problem;
    }

    synchronized void available() {
        state = AVAILABLE;
        problem = null;
    }

    synchronized void unavailable(String why) {
        state = UNAVAILABLE;
        problem = why.lines().findFirst().orElse(why);
        checkFailures++;
    }

    /** The service properties mirroring the state. */
    synchronized Dictionary<String, Object> properties(S3Settings settings) {
        Dictionary<String, Object> properties = new Hashtable<>();
        properties.put(ObjectStore.STORE_NAME, storeName);
        properties.put("bucket", settings.bucket());
        properties.put(STATE, state);
        if (problem != null) {
            properties.put(PROBLEM, problem);
        }
        return properties;
    }

    @Override
    public void collect(MetricSink sink) {
        sink.family("chronik_s3_store_available",
                "1 while the S3 store is registered, 0 while its bucket cannot be reached (or is still being checked)",
                MetricSink.Type.GAUGE, "store").sample(AVAILABLE.equals(state) ? 1 : 0, storeName);
        sink.family("chronik_s3_store_check_failures", "Failed checks of the S3 store's bucket",
                MetricSink.Type.COUNTER, "store").sample(checkFailures, storeName);
    }

    @Override
    public String toString() {
        return "object store '" + storeName + "' " + state + (problem == null ? "" : ": " + problem);
    }
}
