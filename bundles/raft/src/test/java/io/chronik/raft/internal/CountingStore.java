package io.chronik.raft.internal;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.chronik.api.store.ObjectStore;

/**
 * A real object store (e.g. storage-local's) seen through a counter of its puts and stored bytes, which can also be
 * made to fail its puts from a given put on, the way an unreachable store fails (an IOException).
 */
final class CountingStore implements ObjectStore {
    private final ObjectStore store;
    final AtomicInteger puts = new AtomicInteger();
    final AtomicLong storedBytes = new AtomicLong();
    /** Puts after this many fail (-1: none fail). */
    volatile int failAfterPuts = -1;

    CountingStore(ObjectStore store) {
        this.store = store;
    }

    private void maybeFail(String key) throws IOException {
        if (failAfterPuts >= 0 && puts.get() >= failAfterPuts) {
            throw new IOException("store unreachable (test) putting " + key);
        }
    }

    /** Puts in progress, and the most at once. */
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger maxInFlight = new AtomicInteger();
    /** While set, puts wait for it (to hold uploads in progress). */
    volatile java.util.concurrent.CountDownLatch hold;

    @Override
    public long put(String key, InputStream data) throws IOException {
        maybeFail(key);
        int now = inFlight.incrementAndGet();
        maxInFlight.accumulateAndGet(now, Math::max);
        try {
            java.util.concurrent.CountDownLatch h = hold;
            if (h != null) {
                h.await();
            }
            long n = store.put(key, data);
            puts.incrementAndGet();
            storedBytes.addAndGet(n);
            return n;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted");
        } finally {
            inFlight.decrementAndGet();
        }
    }

    @Override
    public void put(String key, byte[] data) throws IOException {
        maybeFail(key);
        store.put(key, data);
        puts.incrementAndGet();
        storedBytes.addAndGet(data.length);
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
}
