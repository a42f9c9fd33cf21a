package io.chronik.protocol.kafka.internal.topics;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

import io.chronik.api.consensus.ClusterMetadata;
import io.chronik.api.consensus.MetadataListener;
import io.chronik.api.consensus.TopicInfo;

/**
 * The bundle's one index of topic ids: topic id → topic name, built from one metadata service and rebuilt on the
 * next use after that service has applied a metadata change (a listener on the service counts the changes). The
 * request handlers look topics up by id with it; the group coordinator compares two {@link Snapshot}s of it to find
 * the topics deleted in between.
 *
 * <p><b>Threads.</b> Safe for concurrent use; never blocks beyond reading the metadata service's topic list. Two
 * threads may rebuild at once; either result is valid.
 */
public final class TopicIndex implements AutoCloseable {
    /**
     * The topics (id → name) of {@code source} as of metadata change number {@code generation}. Immutable; a new
     * snapshot is a new object, so that a caller can tell by identity whether anything changed since it last looked.
     */
    public record Snapshot(ClusterMetadata source, long generation, Map<UUID, String> names) {
        public Snapshot {
            names = Map.copyOf(names);
        }
    }

    private final AtomicLong generation = new AtomicLong();
    private final MetadataListener invalidator = md -> generation.incrementAndGet();
    private volatile Snapshot current;
    private ClusterMetadata listenedTo; // guarded by this

    /**
     * The index of {@code md}'s topics as of now: the same object as the previous call's while {@code md} has applied
     * no metadata change since, a new one otherwise. Starts listening to {@code md} (and stops listening to a
     * previous service) the first time it is given.
     */
    public Snapshot snapshot(ClusterMetadata md) {
        Snapshot s = current;
        if (s == null || s.source() != md || s.generation() != generation.get()) {
            s = rebuild(md);
        }
        return s;
    }

    /** The topic of {@code md} with id {@code id}, or {@code null}. */
    public TopicInfo topic(ClusterMetadata md, UUID id) {
        String name = snapshot(md).names().get(id);
        if (name != null) {
            Optional<TopicInfo> t = md.topic(name);
            if (t.isPresent() && id.equals(t.get().id())) {
                return t.get();
            }
        }
        // not indexed yet (or renamed/recreated): look at the live topics once
        for (TopicInfo t : md.topics()) {
            if (id.equals(t.id())) {
                return t;
            }
        }
        return null;
    }

    private Snapshot rebuild(ClusterMetadata md) {
        synchronized (this) {
            if (listenedTo != md) {
                stopListening();
                md.addListener(invalidator);
                listenedTo = md;
            }
        }
        long gen = generation.get(); // read before the topics: a change after this invalidates the snapshot
        Map<UUID, String> names = new HashMap<>();
        for (TopicInfo t : md.topics()) {
            if (t.id() != null) {
                names.put(t.id(), t.name());
            }
        }
        Snapshot s = new Snapshot(md, gen, names);
        current = s;
        return s;
    }

    private void stopListening() {
        if (listenedTo != null) {
            try {
                listenedTo.removeListener(invalidator);
            } catch (RuntimeException e) {
                // the service may already be gone
            }
            listenedTo = null;
        }
    }

    /** Stops listening to the metadata service. */
    @Override
    public synchronized void close() {
        stopListening();
    }
}
