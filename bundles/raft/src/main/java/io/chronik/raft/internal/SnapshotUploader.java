package io.chronik.raft.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.archive.Archive;
import io.chronik.api.compression.CorruptDataException;
import io.chronik.api.store.ObjectNotFoundException;
import io.chronik.log.LinkedFile;

/**
 * Uploads one data-group snapshot (its pinned files) through the {@link Archive} in the layout of
 * {@link ArchiveKeys}, then applies retention. Content objects first, the manifest last: a manifest only ever
 * references objects that exist. A segment file is a chain of ranges: the ranges already in the store (known from
 * earlier uploads of this node, or found in the store with a matching CRC32 of the local bytes) are referenced, only
 * the bytes after them are uploaded, as one new range. A state file is one range of its whole content, uploaded
 * unless an object with the same range and CRC32 exists. One instance per upload; not thread-safe.
 */
final class SnapshotUploader {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotUploader.class);

    /** What an upload did. */
    record Result(ArchivedSnapshot archived, long uploadedBytes, long skippedBytes, int objectsPut, int deleted) {
    }

    /**
     * The archive moved to another object store while an upload was running: the objects the upload references are
     * not all in the store its manifest would go to, so the upload is not published; upload it again (in full).
     */
    static final class StoreSwitchedException extends IOException {
        private static final long serialVersionUID = 1L;

        StoreSwitchedException(String from, String to) {
            super("the archive moved from object store '" + from + "' to " + (to == null ? "none" : "'" + to + "'")
                    + " during the upload");
        }
    }

    private final Archive archive;
    /** The store name the upload is for (the archive's active store when it started). */
    private final String store;
    private final String cluster;
    /** Segment files' range chains known to be in this store: file prefix key to chain from 0. */
    private final Map<String, List<ArchiveKeys.Range>> known;
    private final int retentionCount;
    private long uploaded;
    private long skipped;
    private int puts;

    /**
     * @param store the archive's active store: the upload fails with {@link StoreSwitchedException} if the archive
     *              moves to another one before its manifest is written
     * @param known the segment range chains known to be in {@code store}
     */
    SnapshotUploader(Archive archive, String store, String cluster, Map<String, List<ArchiveKeys.Range>> known,
                     int retentionCount) {
        this.archive = archive;
        this.store = store;
        this.cluster = cluster;
        this.known = known;
        this.retentionCount = retentionCount;
    }

    /**
     * Uploads the snapshot whose files are in {@code dir} ({@code <dir>/<dirName>/<file>}, described by
     * {@code manifest}), writes its manifest and applies retention.
     */
    Result upload(Path dir, SnapshotManifest manifest) throws IOException {
        int g = manifest.groupNo();
        Set<String> present = new HashSet<>(archive.list(ArchiveKeys.files(cluster, g)));
        Map<String, List<ArchiveKeys.Range>> inStore = new HashMap<>(); // by file prefix
        for (String key : present) {
            int slash = key.lastIndexOf('/');
            ArchiveKeys.Range r = ArchiveKeys.Range.parse(key.substring(slash + 1));
            if (r != null) {
                inStore.computeIfAbsent(key.substring(0, slash + 1), k -> new ArrayList<>()).add(r);
            }
        }
        List<List<List<ArchiveKeys.Range>>> ranges = new ArrayList<>();
        for (SnapshotManifest.Partition p : manifest.partitions()) {
            List<List<ArchiveKeys.Range>> files = new ArrayList<>();
            for (LinkedFile f : p.files()) {
                String prefix = ArchiveKeys.file(cluster, g, p.topicId(), p.partition(), f.name());
                Path local = dir.resolve(p.dirName()).resolve(f.name());
                files.add(f.segment() ? segment(prefix, local, f.size(), present, inStore.getOrDefault(prefix, List.of()))
                        : stateFile(prefix, local, f.size(), present));
            }
            ranges.add(files);
        }
        // forget the chains of files that left the snapshot (segments deleted by local retention, moved partitions)
        Set<String> used = new HashSet<>();
        for (SnapshotManifest.Partition p : manifest.partitions()) {
            for (LinkedFile f : p.files()) {
                used.add(ArchiveKeys.file(cluster, g, p.topicId(), p.partition(), f.name()));
            }
        }
        String groupFiles = ArchiveKeys.files(cluster, g);
        known.keySet().removeIf(k -> k.startsWith(groupFiles) && !used.contains(k));
        ArchivedSnapshot archived = new ArchivedSnapshot(cluster, manifest, ranges);
        // the objects went to 'store' only if the archive did not move meanwhile (it moves in place, at any moment)
        checkStore();
        String manifestKey = ArchiveKeys.manifest(cluster, g, manifest.index());
        archive.write(manifestKey, new ByteArrayInputStream(archived.encode()));
        puts++;
        if (!store.equals(archive.activeStore())) {
            // moved while the manifest was written: if it went to the new store it references objects that are not
            // there; remove it (if it went to the old store it is complete there, and the new store has no such key)
            try {
                archive.delete(manifestKey);
            } catch (IOException e) {
                LOG.debug("removing manifest {} after a store switch failed", manifestKey, e);
            }
            checkStore();
        }
        int deleted = retain(g);
        return new Result(archived, uploaded, skipped, puts, deleted);
    }

    private void checkStore() throws StoreSwitchedException {
        String now = archive.activeStore();
        if (!store.equals(now)) {
            throw new StoreSwitchedException(store, now);
        }
    }

    private List<ArchiveKeys.Range> segment(String prefix, Path local, long size, Set<String> present,
                                            List<ArchiveKeys.Range> inStore) throws IOException {
        List<ArchiveKeys.Range> chain = new ArrayList<>();
        long at = 0;
        for (ArchiveKeys.Range r : known.getOrDefault(prefix, List.of())) { // this node's own, still in the store
            if (r.from() != at || r.to() > size || !present.contains(prefix + r.name())) {
                break;
            }
            chain.add(r);
            at = r.to();
        }
        while (at < size) { // ranges in the store this node does not know (another node's, an earlier run's)
            ArchiveKeys.Range next = null;
            for (ArchiveKeys.Range r : inStore) {
                if (r.from() == at && r.to() <= size && r.to() > at && (next == null || r.to() > next.to())
                        && FileRanges.crc(local, r.from(), r.to()) == r.crc()) {
                    next = r;
                }
            }
            if (next == null) {
                break;
            }
            chain.add(next);
            at = next.to();
        }
        skipped += at;
        if (at < size) {
            chain.add(put(prefix, local, at, size));
        }
        known.put(prefix, List.copyOf(chain));
        return chain;
    }

    private List<ArchiveKeys.Range> stateFile(String prefix, Path local, long size, Set<String> present) throws IOException {
        if (size == 0) {
            return List.of();
        }
        ArchiveKeys.Range r = new ArchiveKeys.Range(0, size, FileRanges.crc(local, 0, size));
        if (present.contains(prefix + r.name())) {
            skipped += size;
            return List.of(r);
        }
        return List.of(put(prefix, local, 0, size));
    }

    private ArchiveKeys.Range put(String prefix, Path local, long from, long to) throws IOException {
        ArchiveKeys.Range r = new ArchiveKeys.Range(from, to, FileRanges.crc(local, from, to));
        try (InputStream in = FileRanges.open(local, from, to)) {
            long n = archive.write(prefix + r.name(), in);
            if (n != r.length()) {
                throw new IOException("archiving " + local + " [" + from + ", " + to + ") wrote " + n + " bytes");
            }
        }
        uploaded += r.length();
        puts++;
        return r;
    }

    /**
     * Keeps the newest {@code retentionCount} manifests of the group and deletes the objects under its files prefix
     * that none of them references.
     */
    private int retain(int g) throws IOException {
        int deleted = archive.retain(ArchiveKeys.manifests(cluster, g), retentionCount).size();
        Set<String> referenced = new HashSet<>();
        for (String key : archive.list(ArchiveKeys.manifests(cluster, g))) {
            try (InputStream in = archive.read(key)) {
                referenced.addAll(ArchivedSnapshot.decode(cluster, in.readAllBytes(), key).keys());
            } catch (ObjectNotFoundException e) {
                // deleted meanwhile (another node's retention)
            } catch (CorruptDataException e) {
                LOG.warn("archived snapshot manifest {} is corrupt; it keeps no objects: {}", key, e.getMessage());
            } catch (IOException e) {
                if (e.getMessage() != null && e.getMessage().startsWith(key + ":")) { // our own decode error
                    LOG.warn("archived snapshot manifest {} is unusable; it keeps no objects: {}", key, e.getMessage());
                } else {
                    throw e;
                }
            }
        }
        for (String key : archive.list(ArchiveKeys.files(cluster, g))) {
            if (!referenced.contains(key) && archive.delete(key)) {
                deleted++;
            }
        }
        return deleted;
    }
}
