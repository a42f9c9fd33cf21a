package io.chronik.protocol.kafka.internal.handler;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import org.apache.kafka.common.Uuid;

import io.chronik.api.consensus.ClusterMetadata;
import io.chronik.api.consensus.MetadataListener;
import io.chronik.api.consensus.PartitionLogs;
import io.chronik.api.consensus.TopicInfo;
import io.chronik.protocol.kafka.internal.ServerSettings;
import io.chronik.protocol.kafka.internal.group.GroupCoordinator;

/**
 * What the handlers share: the settings and the currently bound consensus services (either may be
 * {@code null} for a moment while a provider is being replaced), and an index of topic ids.
 */
public final class Broker implements AutoCloseable {
    private final ServerSettings settings;
    private final Supplier<ClusterMetadata> metadata;
    private final Supplier<PartitionLogs> logs;
    private final GroupCoordinator groups;

    /**
     * Topic id → topic name, built from one metadata service and valid while no metadata change has been applied
     * since (a listener bumps {@link #generation}).
     */
    private record TopicIndex(ClusterMetadata source, long generation, Map<UUID, String> names) {
    }

    /** Topics whose auto-creation is under way, so that a burst of Metadata requests creates each once. */
    private final Set<String> autoCreating = ConcurrentHashMap.newKeySet();

    private final AtomicLong generation = new AtomicLong();
    private final MetadataListener invalidator = md -> generation.incrementAndGet();
    private volatile TopicIndex topicIndex;
    private ClusterMetadata listenedTo; // guarded by this

    public Broker(ServerSettings settings, Supplier<ClusterMetadata> metadata, Supplier<PartitionLogs> logs) {
        this.settings = settings;
        this.metadata = metadata;
        this.logs = logs;
        this.groups = new GroupCoordinator(settings.groups(), metadata, logs);
    }

    /** The consumer-group coordinator. */
    public GroupCoordinator groups() {
        return groups;
    }

    /** Topics that clients may read but not write, create, delete or grow: the coordinator's own. */
    public static boolean isInternal(String topic) {
        return GroupCoordinator.OFFSETS_TOPIC.equals(topic);
    }

    public ServerSettings settings() {
        return settings;
    }

    /** The bound metadata service, or {@code null}. */
    public ClusterMetadata metadata() {
        return metadata.get();
    }

    /** The bound partition logs, or {@code null}. */
    public PartitionLogs logs() {
        return logs.get();
    }

    /** Claims the auto-creation of {@code topic}; {@code false} if it is already under way. */
    boolean startAutoCreate(String topic) {
        return autoCreating.add(topic);
    }

    void autoCreateDone(String topic) {
        autoCreating.remove(topic);
    }

    /** The topic with Kafka topic id {@code id}, or {@code null}. */
    public TopicInfo topicById(ClusterMetadata md, Uuid id) {
        if (id == null || Uuid.ZERO_UUID.equals(id)) {
            return null;
        }
        UUID key = new UUID(id.getMostSignificantBits(), id.getLeastSignificantBits());
        TopicIndex index = topicIndex;
        if (index == null || index.source() != md || index.generation() != generation.get()) {
            index = rebuild(md);
        }
        String name = index.names().get(key);
        if (name != null) {
            Optional<TopicInfo> t = md.topic(name);
            if (t.isPresent() && key.equals(t.get().id())) {
                return t.get();
            }
        }
        // not indexed yet (or renamed/recreated): look at the live topics once
        for (TopicInfo t : md.topics()) {
            if (key.equals(t.id())) {
                return t;
            }
        }
        return null;
    }

    private TopicIndex rebuild(ClusterMetadata md) {
        synchronized (this) {
            if (listenedTo != md) {
                if (listenedTo != null) {
                    listenedTo.removeListener(invalidator);
                }
                md.addListener(invalidator);
                listenedTo = md;
            }
        }
        long gen = generation.get(); // read before the topics: a change after this invalidates the index
        Map<UUID, String> names = new HashMap<>();
        for (TopicInfo t : md.topics()) {
            if (t.id() != null) {
                names.put(t.id(), t.name());
            }
        }
        TopicIndex index = new TopicIndex(md, gen, names);
        topicIndex = index;
        return index;
    }

    public static Uuid kafkaId(TopicInfo topic) {
        UUID id = topic.id();
        return id == null ? Uuid.ZERO_UUID : new Uuid(id.getMostSignificantBits(), id.getLeastSignificantBits());
    }

    /** Stops listening to the metadata service. */
    @Override
    public synchronized void close() {
        groups.close();
        if (listenedTo != null) {
            try {
                listenedTo.removeListener(invalidator);
            } catch (RuntimeException e) {
                // the service may already be gone
            }
            listenedTo = null;
        }
    }
}
