package io.chronik.storage.s3.internal;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;

import io.chronik.api.metrics.MetricSink;
import io.chronik.api.metrics.MetricSource;
import io.chronik.api.store.ObjectStore;

/**
 * The object registered by {@link S3StoreComponent}: the store's {@link ObjectStore} methods and its counters as a
 * {@link MetricSource}, under one registration so that both come and go together. Delegates only.
 */
final class RegisteredStore implements ObjectStore, MetricSource {
    private final S3ObjectStore store;

    RegisteredStore(S3ObjectStore store) {
        this.store = store;
    }

    @Override
    public long put(String key, InputStream data) throws IOException {
        return store.put(key, data);
    }

    @Override
    public void put(String key, byte[] data) throws IOException {
        store.put(key, data);
    }

    @Override
    public InputStream get(String key) throws IOException {
        return store.get(key);
    }

    @Override
    public byte[] get(String key, long offset, int length) throws IOException {
        return store.get(key, offset, length);
    }

    @Override
    public long size(String key) throws IOException {
        return store.size(key);
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        return store.list(prefix);
    }

    @Override
    public boolean delete(String key) throws IOException {
        return store.delete(key);
    }

    @Override
    public void collect(MetricSink sink) {
        store.metrics().collect(sink);
    }

    @Override
    public String toString() {
        return store.toString();
    }
}
