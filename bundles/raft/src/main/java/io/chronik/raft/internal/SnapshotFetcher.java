package io.chronik.raft.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.zip.CRC32;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.archive.Archive;
import io.chronik.api.archive.ArchiveUnavailableException;
import io.chronik.api.compression.CorruptDataException;
import io.chronik.api.store.ObjectNotFoundException;
import io.chronik.log.LinkedFile;

/**
 * Fetches a data group's newest usable archived snapshot into a node's snapshot directory, in the local layout of
 * {@link DataSnapshotStorage}: {@code snapshot.<term>_<index>.tmp/<dirName>/<file>} filled from the ranges, each
 * checked (the archive's CRC32 of the blob, then the range's length and CRC32), the {@code MANIFEST} written, then
 * renamed. An archived snapshot that is corrupt, truncated or references a missing object is refused (one ERROR line)
 * and the next older one is tried; nothing half-written is left behind.
 */
final class SnapshotFetcher {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotFetcher.class);

    /** An archived snapshot that cannot be used. */
    private static final class Refused extends IOException {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message);
        }
    }

    private final Archive archive;
    private final String cluster;
    private final SnapshotArchiveMetrics metrics;

    SnapshotFetcher(Archive archive, String cluster, SnapshotArchiveMetrics metrics) {
        this.archive = archive;
        this.cluster = cluster;
        this.metrics = metrics;
    }

    /**
     * @return the complete snapshot directory, or null if the archive holds no usable snapshot of the group
     * @throws IOException if the store cannot be read (unavailable, unreachable): not a judgement on the snapshots
     */
    Path fetchLatest(int groupNo, Path snapshotsDir) throws IOException {
        List<String> keys = new ArrayList<>();
        for (String key : archive.list(ArchiveKeys.manifests(cluster, groupNo))) {
            if (ArchiveKeys.manifestIndex(key) >= 0) {
                keys.add(key);
            }
        }
        keys.sort(Comparator.comparingLong(ArchiveKeys::manifestIndex).reversed());
        for (String key : keys) {
            try {
                return fetch(groupNo, key, snapshotsDir);
            } catch (ArchiveUnavailableException e) {
                metrics.fetchFailures.increment();
                throw e;
            } catch (IOException e) { // corrupt (CorruptDataException), truncated, missing objects, unreadable
                metrics.fetchFailures.increment();
                LOG.error("data group {}: archived snapshot {} refused, trying an older one: {}", groupNo, key,
                        e instanceof Refused || e instanceof CorruptDataException || e instanceof ObjectNotFoundException
                                ? e.getMessage() : e.toString());
            }
        }
        return null;
    }

    private Path fetch(int groupNo, String key, Path snapshotsDir) throws IOException {
        ArchivedSnapshot a;
        try (InputStream in = archive.read(key)) {
            byte[] bytes = in.readAllBytes();
            try {
                a = ArchivedSnapshot.decode(cluster, bytes, key);
            } catch (IOException e) {
                throw new Refused(e.getMessage());
            }
        }
        SnapshotManifest m = a.manifest();
        if (m.groupNo() != groupNo || m.index() != ArchiveKeys.manifestIndex(key)) {
            throw new Refused(key + " holds the snapshot of group " + m.groupNo() + " at " + m.index());
        }
        String name = "snapshot." + m.term() + "_" + m.index();
        Path tmp = snapshotsDir.resolve(name + ".tmp");
        Path target = snapshotsDir.resolve(name);
        DataSnapshotStorage.deleteRecursively(tmp);
        boolean done = false;
        try {
            Files.createDirectories(tmp);
            for (int i = 0; i < m.partitions().size(); i++) {
                SnapshotManifest.Partition p = m.partitions().get(i);
                Path dir = Files.createDirectories(tmp.resolve(p.dirName()));
                for (int j = 0; j < p.files().size(); j++) {
                    download(a, i, j, dir.resolve(p.files().get(j).name()), p.files().get(j));
                }
            }
            m.writeTo(tmp);
            DataSnapshotStorage.fsyncDirectory(tmp);
            DataSnapshotStorage.deleteRecursively(target);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            DataSnapshotStorage.fsyncDirectory(snapshotsDir);
            done = true;
        } finally {
            if (!done) {
                DataSnapshotStorage.deleteRecursively(tmp);
            }
        }
        try {
            DataSnapshotStorage.open(target);
        } catch (IOException e) {
            DataSnapshotStorage.deleteRecursively(target);
            throw new Refused(key + ": the fetched snapshot is not valid: " + e.getMessage());
        }
        return target;
    }

    /** Writes file {@code j} of partition {@code i} from its ranges, checking each range's length and CRC32. */
    private void download(ArchivedSnapshot a, int i, int j, Path file, LinkedFile f) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            OutputStream out = Channels.newOutputStream(ch);
            for (ArchiveKeys.Range r : a.ranges().get(i).get(j)) {
                String key = a.key(i, j, r);
                CRC32 crc = new CRC32();
                long n;
                try (InputStream in = archive.read(key)) {
                    n = FileRanges.copy(in, out, crc);
                }
                if (n != r.length()) {
                    throw new Refused(key + " holds " + n + " bytes, the range has " + r.length());
                }
                if ((int) crc.getValue() != r.crc()) {
                    throw new Refused(key + " fails the range's CRC32 check");
                }
            }
            out.flush();
            if (ch.size() != f.size()) {
                throw new Refused(file.getFileName() + " has " + ch.size() + " bytes, the manifest says " + f.size());
            }
            ch.force(true);
        }
    }
}
