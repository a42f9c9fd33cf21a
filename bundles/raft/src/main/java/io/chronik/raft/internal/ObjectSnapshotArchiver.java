package io.chronik.raft.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.IntPredicate;
import java.util.function.Supplier;

import org.apache.ratis.server.protocol.TermIndex;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.archive.Archive;
import io.chronik.api.archive.ArchiveUnavailableException;
import io.chronik.log.LinkedFile;

/**
 * Keeps this node's snapshots in the object store, through the {@link Archive} (object layout: {@link ArchiveKeys}).
 *
 * <p>When a group's leader on this node takes a snapshot, its files are pinned at once (hard links under
 * {@code <work dir>/group-<g>/}, a few links on the state machine updater: local retention may delete the snapshot
 * soon) and uploaded in the background ({@link SnapshotUploader}) by at most {@code maxConcurrent} threads; each
 * group uploads one snapshot at a time and only its newest pending one (a snapshot superseded before its upload
 * started is dropped). The metadata group's snapshot file is kept the same way, as one object. An upload that fails
 * (no archive or store bound, a store error) is retried with exponential backoff (1 s doubling to 60 s); the first
 * failure of a streak is logged (WARN) and counted, the end of the streak too (INFO). Nothing here blocks produce,
 * fetch or the updater.
 *
 * <p>A node without a group's data fetches the newest usable archived snapshot ({@link SnapshotFetcher}).
 */
final class ObjectSnapshotArchiver implements SnapshotArchiver, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ObjectSnapshotArchiver.class);
    static final long MAX_BACKOFF_MS = 60_000;
    static final int METADATA = -1;

    /** A snapshot pinned for upload: its directory of links (data) or its linked file (metadata). */
    private record Pinned(Path path, SnapshotManifest manifest, TermIndex at) {
    }

    private final Supplier<Archive> archive;
    private final Supplier<String> clusterId;
    private final IntPredicate leads;
    private final Path workDir;
    private final SnapshotSettings settings;
    private final SnapshotArchiveMetrics metrics;
    private final ExecutorService uploads;
    private final ScheduledExecutorService retries;
    private final Map<Integer, Lane> lanes = new ConcurrentHashMap<>();
    /** Per store name: segment range chains known to be in that store ({@link SnapshotUploader}). */
    private final Map<String, Map<String, List<ArchiveKeys.Range>>> known = new ConcurrentHashMap<>();
    volatile long initialBackoffMs = 1000;
    private volatile boolean closed;

    /**
     * @param leads   whether this node leads group {@code g} ({@link #METADATA}: the metadata group), i.e. archives it
     * @param workDir where pinned snapshots wait for their upload; emptied now (pins of an earlier run are dropped)
     */
    ObjectSnapshotArchiver(int nodeId, Supplier<Archive> archive, Supplier<String> clusterId, IntPredicate leads,
                           Path workDir, SnapshotSettings settings) throws IOException {
        this.archive = archive;
        this.clusterId = clusterId;
        this.leads = leads;
        this.workDir = workDir;
        this.settings = settings;
        this.metrics = new SnapshotArchiveMetrics(nodeId);
        DataSnapshotStorage.deleteRecursively(workDir);
        Files.createDirectories(workDir);
        ThreadPoolExecutor pool = new ThreadPoolExecutor(settings.maxConcurrent(), settings.maxConcurrent(), 30,
                TimeUnit.SECONDS, new LinkedBlockingQueue<>(), daemon("chronik-snapshot-upload-" + nodeId));
        pool.allowCoreThreadTimeOut(true);
        this.uploads = pool;
        ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1, daemon("chronik-snapshot-retry-" + nodeId));
        s.setRemoveOnCancelPolicy(true);
        this.retries = s;
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    SnapshotArchiveMetrics metrics() {
        return metrics;
    }

    @Override
    public void snapshotTaken(int groupNo, DataSnapshotStorage.DataSnapshot snapshot) {
        if (closed || groupNo < 0 || !leads.test(groupNo)) {
            return;
        }
        Path pin = workDir.resolve("group-" + groupNo).resolve(snapshot.dir().getFileName().toString());
        try {
            if (Files.exists(pin)) {
                return; // already pinned (the same snapshot reported again)
            }
            Files.createDirectories(pin);
            for (SnapshotManifest.Partition p : snapshot.manifest().partitions()) {
                Path dir = Files.createDirectories(pin.resolve(p.dirName()));
                for (LinkedFile f : p.files()) {
                    Files.createLink(dir.resolve(f.name()), snapshot.partitionDir(p).resolve(f.name()));
                }
            }
        } catch (IOException | UnsupportedOperationException e) {
            LOG.warn("data group {}: pinning snapshot {} for the object store failed, not archived: {}", groupNo,
                    snapshot.termIndex(), e.toString());
            deleteQuietly(pin);
            return;
        }
        lane(groupNo).offer(new Pinned(pin, snapshot.manifest(), snapshot.termIndex()));
    }

    @Override
    public void metadataSnapshotTaken(TermIndex at, Path file) {
        if (closed || !leads.test(METADATA)) {
            return;
        }
        Path pin = workDir.resolve("metadata").resolve(file.getFileName().toString());
        try {
            if (Files.exists(pin)) {
                return;
            }
            Files.createDirectories(pin.getParent());
            Files.createLink(pin, file);
        } catch (IOException | UnsupportedOperationException e) {
            LOG.warn("metadata snapshot {}: pinning it for the object store failed, not archived: {}", at, e.toString());
            return;
        }
        lane(METADATA).offer(new Pinned(pin, null, at));
    }

    @Override
    public Path fetchLatest(int groupNo, Path snapshotsDir) throws IOException {
        Archive a = archive.get();
        String cluster = clusterId.get();
        if (a == null || a.activeStore() == null || cluster == null) {
            LOG.info("data group {}: no snapshot from the object store ({})", groupNo,
                    cluster == null ? "the cluster id is not known yet" : "no archive or object store bound");
            return null;
        }
        if (metrics.failingGauge() == 1) {
            // the store is failing this node's uploads: do not hold up the group's start (a new group of a new topic
            // also comes here) with requests that fail slowly; the leader sends a snapshot if one is needed
            LOG.info("data group {}: no snapshot fetched, the object store is failing this node's uploads", groupNo);
            return null;
        }
        long started = System.nanoTime();
        try {
            Path p = new SnapshotFetcher(a, cluster, metrics).fetchLatest(groupNo, snapshotsDir);
            if (p != null) {
                metrics.fetches.increment();
                LOG.info("data group {}: fetched snapshot {} from object store '{}'", groupNo, p.getFileName(),
                        a.activeStore());
            }
            return p;
        } finally {
            metrics.fetchDuration.recordSince(started);
        }
    }

    private Lane lane(int groupNo) {
        return lanes.computeIfAbsent(groupNo, Lane::new);
    }

    /** One group's uploads: one at a time, newest pending snapshot first, retried with backoff. */
    private final class Lane {
        private final int groupNo;
        private final String label;
        /** Guarded by this: the newest snapshot not yet being uploaded (the one in progress is not here). */
        private Pinned pending;
        /** Guarded by this: an upload is queued, running or waiting for its retry. */
        private boolean active;
        /** Only touched by the lane's task (one at a time). */
        private int failures;

        Lane(int groupNo) {
            this.groupNo = groupNo;
            this.label = groupNo == METADATA ? "metadata" : Integer.toString(groupNo);
        }

        void offer(Pinned p) {
            Pinned superseded;
            boolean start;
            synchronized (this) {
                superseded = pending;
                pending = p;
                start = !active;
                active = true;
            }
            if (superseded != null) {
                deleteQuietly(superseded.path());
            }
            if (start) {
                submit(0);
            }
        }

        private void submit(long delayMs) {
            try {
                if (delayMs <= 0) {
                    uploads.execute(this::run);
                } else {
                    retries.schedule(() -> {
                        try {
                            uploads.execute(this::run);
                        } catch (RejectedExecutionException e) {
                            // closed
                        }
                    }, delayMs, TimeUnit.MILLISECONDS);
                }
            } catch (RejectedExecutionException e) {
                // closed: the pins stay until the next start empties the work directory
            }
        }

        private void run() {
            Pinned p;
            synchronized (this) {
                p = pending;
                if (p == null || closed) {
                    active = false;
                    return;
                }
                pending = null; // in progress: a newer offer becomes pending, and does not touch this one's pin
            }
            long started = System.nanoTime();
            try {
                upload(p);
                metrics.uploadDuration.recordSince(started);
                metrics.uploads.increment();
                metrics.archived(label, p.at().getIndex());
                if (failures > 0) {
                    LOG.info("{}: snapshots are archived to the object store again ({} failed attempt(s))", name(),
                            failures);
                }
                failures = 0;
                metrics.failing(false);
            } catch (SnapshotUploader.StoreSwitchedException e) {
                // not a failure of the store: upload the same snapshot again, in full, to the store now in use
                LOG.info("{}: {} of snapshot {}; uploading it again", name(), e.getMessage(), p.at());
                if (!requeue(p)) {
                    deleteQuietly(p.path());
                }
                submit(0);
                return;
            } catch (IOException | RuntimeException e) {
                if (closed) {
                    LOG.debug("{}: archiving snapshot {} stopped: the node stops", name(), p.at(), e);
                    return;
                }
                failures++;
                metrics.uploadFailures.increment();
                metrics.failing(true);
                long delay = backoff(failures);
                if (failures == 1) {
                    LOG.warn("{}: archiving snapshot {} to the object store failed, retrying in the background "
                            + "(next in {} ms, backing off to {} s): {}", name(), p.at(), delay, MAX_BACKOFF_MS / 1000,
                            e.toString());
                } else {
                    LOG.debug("{}: archiving snapshot {} failed again ({} attempts)", name(), p.at(), failures, e);
                }
                if (!requeue(p)) {
                    deleteQuietly(p.path());
                }
                submit(delay);
                return;
            }
            deleteQuietly(p.path());
            boolean more;
            synchronized (this) {
                more = pending != null;
                active = more;
            }
            if (more) {
                submit(0);
            }
        }

        /** Makes {@code p} pending again, unless a newer snapshot came meanwhile; whether it did. */
        private synchronized boolean requeue(Pinned p) {
            if (pending != null) {
                return false;
            }
            pending = p;
            return true;
        }

        private String name() {
            return groupNo == METADATA ? "metadata group" : "data group " + groupNo;
        }

        private void upload(Pinned p) throws IOException {
            Archive a = archive.get();
            if (a == null) {
                throw new ArchiveUnavailableException("no archive service is bound");
            }
            String store = a.activeStore();
            if (store == null) {
                throw new ArchiveUnavailableException("no object store is bound to the archive");
            }
            String cluster = clusterId.get();
            if (cluster == null) {
                throw new IOException("the cluster id is not known yet");
            }
            if (groupNo == METADATA) {
                try (InputStream in = Files.newInputStream(p.path())) {
                    a.write(ArchiveKeys.metadataSnapshot(cluster, p.at().getIndex()), in);
                }
                metrics.uploadedBytes.add(Files.size(p.path()));
                metrics.objectsPut.increment();
                metrics.deletedObjects.add(a.retain(ArchiveKeys.metadata(cluster), settings.retentionCount()).size());
                return;
            }
            SnapshotUploader.Result r = new SnapshotUploader(a, store, cluster,
                    known.computeIfAbsent(store, s -> new ConcurrentHashMap<>()), settings.retentionCount())
                    .upload(p.path(), p.manifest());
            metrics.uploadedBytes.add(r.uploadedBytes());
            metrics.skippedBytes.add(r.skippedBytes());
            metrics.objectsPut.add(r.objectsPut());
            metrics.deletedObjects.add(r.deleted());
            LOG.debug("data group {}: snapshot {} archived in '{}': {} bytes uploaded, {} already there, {} objects "
                    + "deleted by retention", groupNo, p.at(), store, r.uploadedBytes(), r.skippedBytes(), r.deleted());
        }
    }

    long backoff(int failures) {
        long d = initialBackoffMs << Math.min(20, failures - 1);
        return Math.min(MAX_BACKOFF_MS, d);
    }

    private static void deleteQuietly(Path p) {
        try {
            DataSnapshotStorage.deleteRecursively(p);
        } catch (IOException e) {
            LOG.debug("deleting {} failed", p, e);
        }
    }

    /** Whether no upload is pending, running or waiting for a retry (tests). */
    boolean idle() {
        for (Lane l : lanes.values()) {
            synchronized (l) {
                if (l.active) {
                    return false;
                }
            }
        }
        return true;
    }

    @Override
    public void close() {
        closed = true;
        uploads.shutdownNow();
        retries.shutdownNow();
    }
}
