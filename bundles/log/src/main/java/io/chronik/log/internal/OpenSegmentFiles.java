package io.chronik.log.internal;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Caps the segment files this JVM holds open. Every segment keeps its {@code .log} file open while it is in use, so a
 * node with tens of thousands of partitions would otherwise need a file descriptor per partition, beyond the usual
 * process limit (then every open — sockets, Raft log segments, snapshots — fails with "Too many open files"). Past
 * the cap, the least recently used segments whose files no operation is using close their channels; a segment
 * reopens its file when it is next read or written ({@link Segment}).
 *
 * <p>The cap: the system property {@value #LIMIT_PROPERTY} if set, else half of the process's file descriptor limit
 * (the other half for sockets, Raft logs and everything else), at least 256; 4,096 if the limit cannot be read.
 *
 * <p>Thread-safe. {@link #opened} may close other segments' channels on the calling thread (one caller at a time
 * evicts, a tenth of the cap at once, so eviction costs a sort per that many opens); it must be called without
 * holding a segment's monitor.
 */
final class OpenSegmentFiles {
    static final String LIMIT_PROPERTY = "chronik.log.max.open.segment.files";

    /** The JVM-wide instance the segments use. */
    static final OpenSegmentFiles SHARED = new OpenSegmentFiles(defaultLimit());

    private final int limit;
    private final Set<Segment> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger count = new AtomicInteger();
    private final AtomicBoolean evicting = new AtomicBoolean();

    OpenSegmentFiles(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("open segment file limit must be >= 1, got " + limit);
        }
        this.limit = limit;
    }

    int limit() {
        return limit;
    }

    /** The number of segment files open now. */
    int openCount() {
        return count.get();
    }

    /** {@code s} opened its file; closes idle ones if that puts the count over the cap. */
    void opened(Segment s) {
        if (open.add(s) && count.incrementAndGet() > limit) {
            evict();
        }
    }

    /** {@code s} closed its file (idle, or the segment was closed). */
    void closed(Segment s) {
        if (open.remove(s)) {
            count.decrementAndGet();
        }
    }

    private void evict() {
        // another thread evicting makes this one skip, so the evictor looks again when done: the opens it skipped
        // meanwhile incremented the count before it does
        while (count.get() > limit && evicting.compareAndSet(false, true)) {
            int closedNow = 0;
            try {
                List<Segment> candidates = new ArrayList<>(open);
                candidates.sort(Comparator.comparingLong(Segment::lastUsedNanos));
                int excess = count.get() - (limit - limit / 10);
                for (Segment s : candidates) {
                    if (closedNow >= excess) {
                        break;
                    }
                    if (s.closeIdleChannel()) {
                        closedNow++;
                    }
                }
            } finally {
                evicting.set(false);
            }
            if (closedNow == 0) {
                return; // every file is in use: over the cap until some are released and another open evicts
            }
        }
    }

    private static int defaultLimit() {
        String configured = System.getProperty(LIMIT_PROPERTY);
        if (configured != null) {
            return Integer.parseInt(configured.trim());
        }
        try {
            OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
            // com.sun.management.UnixOperatingSystemMXBean, loaded from the system class loader and called through
            // its exported interface: no Import-Package of a JDK-specific package in an OSGi framework
            Class<?> unix = ClassLoader.getSystemClassLoader().loadClass("com.sun.management.UnixOperatingSystemMXBean");
            if (!unix.isInstance(os)) {
                return 4096;
            }
            Object max = unix.getMethod("getMaxFileDescriptorCount").invoke(os);
            long fds = ((Number) max).longValue();
            return (int) Math.max(256, Math.min(Integer.MAX_VALUE, fds / 2));
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return 4096;
        }
    }
}
