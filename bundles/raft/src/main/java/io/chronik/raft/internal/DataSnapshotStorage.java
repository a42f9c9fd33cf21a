package io.chronik.raft.internal;

import java.io.File;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.SnapshotRetentionPolicy;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.impl.FileListSnapshotInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.log.LinkedFile;
import io.chronik.log.SegmentLog;

/**
 * The snapshots of one data group on this node: directories {@code snapshot.<term>_<index>} under the group's
 * {@code sm/snapshots}, each with a {@link SnapshotManifest} and one subdirectory per partition replica holding hard
 * links to the replica's segment and state files as of that index ({@link SegmentLog#checkpointInto}).
 * A snapshot costs a checkpoint of each partition and a few links, not a copy of the data, and stays valid while the
 * logs go on: segment files are only appended to, state files are replaced by rename.
 *
 * <p>Ratis sends the latest snapshot's files to a follower that is behind the leader's log (its install replaces the
 * whole {@code sm/snapshots} directory on the follower, which is why the snapshots have a directory of their own
 * beside the payload log), and a follower or a wiped node rebuilds its partitions from an installed snapshot
 * ({@link DataStateMachine#reinitialize}). A snapshot directory is complete or absent: it is built as
 * {@code <name>.tmp} and renamed.
 *
 * <p>Thread-safe: Ratis' log appenders ask for the latest snapshot while the state machine updater takes one.
 */
final class DataSnapshotStorage implements StateMachineStorage {
    private static final Logger LOG = LoggerFactory.getLogger(DataSnapshotStorage.class);
    static final String DIR_NAME = "snapshots";
    private static final Pattern NAME = Pattern.compile("snapshot\\.(\\d+)_(\\d+)");

    /** A complete snapshot on disk. */
    record DataSnapshot(Path dir, SnapshotManifest manifest, FileListSnapshotInfo info) {
        TermIndex termIndex() {
            return info.getTermIndex();
        }

        long index() {
            return manifest.index();
        }

        /** The directory of a partition's files in this snapshot. */
        Path partitionDir(SnapshotManifest.Partition p) {
            return dir.resolve(p.dirName());
        }
    }

    /**
     * A file of a snapshot as Ratis sends it: only the bytes that belong to the snapshot (a linked segment file may
     * have grown since).
     */
    private static final class SnapshotFile extends FileInfo {
        private final long size;

        SnapshotFile(Path path, long size) {
            super(path, null);
            this.size = size;
        }

        @Override
        public long getFileSize() {
            return size;
        }
    }

    private final java.util.function.Supplier<String> name;
    private volatile Path dir;
    /**
     * Serialises what changes the snapshot directories: taking one, pruning, deleting old ones. Not this object's
     * monitor, which guards only {@link #latest}: Ratis' log appenders ask for the latest snapshot all the time and must
     * not wait for a snapshot's fsyncs.
     */
    private final Object diskLock = new Object();
    /** Guarded by this. */
    private DataSnapshot latest;

    DataSnapshotStorage(java.util.function.Supplier<String> name) {
        this.name = name;
    }

    @Override
    public void init(RaftStorage raftStorage) throws IOException {
        init(raftStorage.getStorageDir().getStateMachineDir().toPath());
    }

    /** Uses {@code <stateMachineDir>/snapshots}: removes unfinished snapshots, finds the newest complete one. */
    void init(Path stateMachineDir) throws IOException {
        dir = stateMachineDir.resolve(DIR_NAME);
        Files.createDirectories(dir);
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*.tmp")) {
            for (Path p : s) {
                deleteRecursively(p); // an unfinished snapshot
            }
        }
        load();
    }

    /** The directory holding the snapshot directories. */
    Path directory() {
        return dir;
    }

    /** Finds the newest complete snapshot on disk (after start, or after Ratis installed one). */
    synchronized DataSnapshot load() throws IOException {
        latest = null;
        for (Path p : snapshotDirs()) {
            try {
                latest = open(p);
                break;
            } catch (IOException e) {
                LOG.error("{}: snapshot {} is unusable, skipped: {}", name.get(), p, e.getMessage());
            }
        }
        return latest;
    }

    /** The snapshot directories, newest first. */
    private List<Path> snapshotDirs() throws IOException {
        List<Path> dirs = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path p : s) {
                if (NAME.matcher(p.getFileName().toString()).matches() && Files.isDirectory(p)) {
                    dirs.add(p);
                }
            }
        }
        dirs.sort(Comparator.comparingLong((Path p) -> indexOf(p)).reversed());
        return dirs;
    }

    private static long indexOf(Path p) {
        Matcher m = NAME.matcher(p.getFileName().toString());
        return m.matches() ? Long.parseLong(m.group(2)) : -1;
    }

    /** Reads a snapshot directory's manifest and checks that its files are there and long enough. */
    static DataSnapshot open(Path snapshotDir) throws IOException {
        SnapshotManifest m = SnapshotManifest.readFrom(snapshotDir);
        List<FileInfo> files = new ArrayList<>();
        for (SnapshotManifest.Partition p : m.partitions()) {
            for (LinkedFile f : p.files()) {
                Path file = snapshotDir.resolve(p.dirName()).resolve(f.name());
                long actual = Files.exists(file) ? Files.size(file) : -1;
                if (actual < f.size()) {
                    throw new IOException(file + " has " + (actual < 0 ? "gone" : actual + " bytes") + ", the manifest "
                            + "says " + f.size());
                }
                files.add(new SnapshotFile(file, f.size()));
            }
        }
        Path manifest = snapshotDir.resolve(SnapshotManifest.FILE_NAME);
        files.add(new SnapshotFile(manifest, Files.size(manifest)));
        return new DataSnapshot(snapshotDir, m, new FileListSnapshotInfo(files, TermIndex.valueOf(m.term(), m.index())));
    }

    synchronized DataSnapshot latest() {
        return latest;
    }

    @Override
    public synchronized FileListSnapshotInfo getLatestSnapshot() {
        return latest == null ? null : latest.info();
    }

    @Override
    public File getSnapshotDir() {
        return dir == null ? null : dir.toFile();
    }

    @Override
    public void format() {
    }

    /**
     * Takes a snapshot of {@code replicas} at {@code at}: checkpoints each one and links its files (many of them side
     * by side, see {@link PartitionCheckpoints}), writes the manifest, and publishes the directory by renaming it.
     * Runs on the state machine updater (nothing is applied meanwhile); blocking file I/O.
     */
    DataSnapshot take(int groupNo, TermIndex at, Collection<PartitionReplica> replicas) throws IOException {
        synchronized (diskLock) {
            return takeLocked(groupNo, at, replicas);
        }
    }

    private DataSnapshot takeLocked(int groupNo, TermIndex at, Collection<PartitionReplica> replicas) throws IOException {
        String snapshotName = "snapshot." + at.getTerm() + "_" + at.getIndex();
        Path target = dir.resolve(snapshotName);
        synchronized (this) {
            if (latest != null && latest.index() >= at.getIndex()) {
                return latest;
            }
        }
        Path tmp = dir.resolve(snapshotName + ".tmp");
        deleteRecursively(tmp);
        Files.createDirectories(tmp);
        List<SnapshotManifest.Partition> partitions = PartitionCheckpoints.take(replicas, at.getIndex(), at.getTerm(), tmp,
                "chronik-data-group-" + groupNo);
        SnapshotManifest manifest = new SnapshotManifest(groupNo, at.getTerm(), at.getIndex(), partitions);
        manifest.writeTo(tmp);
        deleteRecursively(target);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        fsyncDirectory(dir);
        DataSnapshot s = open(target);
        synchronized (this) {
            if (latest == null || latest.index() < s.index()) {
                latest = s;
            }
        }
        return s;
    }

    /** Keeps the newest snapshots that the policy asks for (at least the latest), deletes the others. */
    @Override
    public void cleanupOldSnapshots(SnapshotRetentionPolicy policy) throws IOException {
        if (dir == null) {
            return;
        }
        synchronized (diskLock) {
            cleanupLocked(policy);
        }
    }

    private void cleanupLocked(SnapshotRetentionPolicy policy) throws IOException {
        int keep = Math.max(1, policy == null ? 1 : policy.getNumSnapshotsRetained());
        List<Path> dirs = snapshotDirs();
        DataSnapshot current = latest();
        for (int i = keep; i < dirs.size(); i++) {
            Path p = dirs.get(i);
            if (current == null || !p.equals(current.dir())) {
                deleteRecursively(p);
            }
        }
    }

    /**
     * The partition in directory {@code dirName} (live directory {@code liveDir}) dropped its segments below
     * {@code logStart} (retention, DeleteRecords): drop them from the local snapshots too, so that their disk space is
     * freed now and not only once newer snapshots supersede these (an idle group takes none). A snapshot keeps every
     * segment holding offsets at or above {@code logStart}, and takes the live log's log start offset file; a snapshot
     * whose every offset is below {@code logStart} is left as it is. Blocking file I/O; call it without the replica's
     * write lock.
     */
    void pruneBelow(String dirName, long logStart, Path liveDir) {
        if (dir == null) {
            return;
        }
        synchronized (diskLock) {
            boolean changed = false;
            try {
                for (Path snapshotDir : snapshotDirs()) {
                    changed |= prune(snapshotDir, dirName, logStart, liveDir);
                }
                if (changed) {
                    load();
                }
            } catch (IOException | RuntimeException e) {
                LOG.warn("{}: dropping segments below {} of {} from the local snapshots failed: {}", name.get(), logStart,
                        dirName, e.toString());
            }
        }
    }

    private static boolean prune(Path snapshotDir, String dirName, long logStart, Path liveDir) throws IOException {
        SnapshotManifest m;
        try {
            m = SnapshotManifest.readFrom(snapshotDir);
        } catch (IOException e) {
            return false; // a damaged snapshot is not used anyway
        }
        Path liveStart = liveDir.resolve(SegmentLog.LOG_START_OFFSET_FILE);
        List<SnapshotManifest.Partition> partitions = new ArrayList<>();
        List<Path> unlink = new ArrayList<>();
        for (SnapshotManifest.Partition p : m.partitions()) {
            if (!p.dirName().equals(dirName) || logStart > p.logEndOffset() || logStart <= p.logStartOffset()
                    || !Files.exists(liveStart)) {
                partitions.add(p);
                continue;
            }
            List<LinkedFile> segments = p.files().stream().filter(LinkedFile::segment)
                    .sorted(Comparator.comparingLong(f -> baseOffset(f.name()))).toList();
            List<LinkedFile> drop = new ArrayList<>();
            for (int i = 0; i + 1 < segments.size(); i++) {
                if (baseOffset(segments.get(i + 1).name()) <= logStart) {
                    drop.add(segments.get(i));
                }
            }
            Path partDir = snapshotDir.resolve(p.dirName());
            // the new log start: the live log's file (a copy; the link would follow the live log)
            Path startCopy = partDir.resolve(SegmentLog.LOG_START_OFFSET_FILE);
            Path tmp = partDir.resolve(SegmentLog.LOG_START_OFFSET_FILE + ".tmp");
            Files.copy(liveStart, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, startCopy, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            List<LinkedFile> kept = new ArrayList<>();
            for (LinkedFile f : p.files()) {
                if (!drop.contains(f) && !f.name().equals(SegmentLog.LOG_START_OFFSET_FILE)) {
                    kept.add(f);
                }
            }
            kept.add(new LinkedFile(SegmentLog.LOG_START_OFFSET_FILE, Files.size(startCopy), false));
            partitions.add(new SnapshotManifest.Partition(p.topicId(), p.topic(), p.partition(), p.dirName(),
                    p.staging(), logStart, p.logEndOffset(), kept));
            for (LinkedFile f : drop) {
                unlink.add(partDir.resolve(f.name()));
            }
        }
        if (partitions.equals(m.partitions())) {
            return false;
        }
        // the manifest first, then the files: a snapshot never names a file it lacks
        new SnapshotManifest(m.groupNo(), m.term(), m.index(), partitions).writeTo(snapshotDir);
        for (Path f : unlink) {
            Files.deleteIfExists(f);
        }
        return true;
    }

    private static long baseOffset(String segmentName) {
        return Long.parseLong(segmentName.substring(0, segmentName.indexOf('.')));
    }

    /** Hard-links {@code to} to the file {@code from}, or copies it where the file system cannot link. */
    static void linkOrCopy(Path from, Path to) throws IOException {
        try {
            Files.createLink(to, from);
        } catch (UnsupportedOperationException | java.nio.file.FileSystemException e) {
            Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Recreates the directory tree {@code from} at {@code to} with hard links to its files (copies where links fail). */
    static void linkTree(Path from, Path to) throws IOException {
        try (var walk = Files.walk(from)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    linkOrCopy(p, target);
                }
            }
        }
    }

    static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (var walk = Files.walk(p)) {
            for (Path q : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(q);
            }
        }
    }

    static void fsyncDirectory(Path d) {
        try (FileChannel ch = FileChannel.open(d, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // some file systems cannot force a directory; the rename is still atomic
        }
    }
}
