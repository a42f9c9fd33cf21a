package io.chronik.itests.chaos;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the writers of one scenario did: every write has a unique id (its record's value), is recorded as attempted
 * before it is sent, and then as acknowledged (at a partition and offset, by a known node or -1 when the client does
 * not say which) or as failed (outcome unknown: it may or may not have been written, but at most once).
 * {@link HistoryChecker} compares the replicas' logs with it.
 *
 * <p>Thread-safe: writers record from their own threads and callbacks.
 */
final class History {
    /** An acknowledged write. {@code node}: which node acknowledged it, -1 if unknown. */
    record Ack(String id, int partition, long offset, int node, long atMillis) {
    }

    private final Set<String> attempted = ConcurrentHashMap.newKeySet();
    private final Map<String, Ack> acked = new ConcurrentHashMap<>();
    private final Map<String, String> failed = new ConcurrentHashMap<>();

    void attempt(String id) {
        if (!attempted.add(id)) {
            throw new IllegalArgumentException("id " + id + " written twice: ids must be unique");
        }
    }

    void ack(String id, int partition, long offset, int node) {
        acked.put(id, new Ack(id, partition, offset, node, System.currentTimeMillis()));
        failed.remove(id);
    }

    void fail(String id, Throwable error) {
        if (!acked.containsKey(id)) {
            failed.put(id, String.valueOf(error));
        }
    }

    boolean wasAttempted(String id) {
        return attempted.contains(id);
    }

    int attemptedCount() {
        return attempted.size();
    }

    List<Ack> acks() {
        return new ArrayList<>(acked.values());
    }

    Ack ackOf(String id) {
        return acked.get(id);
    }

    /** The failed writes (outcome unknown) with their errors. */
    Map<String, String> failures() {
        return Map.copyOf(failed);
    }

    @Override
    public String toString() {
        return "attempted " + attempted.size() + ", acknowledged " + acked.size() + ", failed (outcome unknown) "
                + failed.size();
    }
}
