package io.chronik.log.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.log.Checkpoint;
import io.chronik.log.LogConfig;
import io.chronik.log.internal.ProducerStateTable.BatchMeta;
import io.chronik.log.internal.ProducerStateTable.Entry;

/**
 * Opening a partition directory (the cut of Kafka's LogLoader): removes temporary and orphaned files, reads the
 * checkpoint and log start offset files, recovers the segments (validating the batches after the checkpoint,
 * cutting a torn or corrupt tail, rebuilding missing or damaged indexes), and either truncates the log back to the
 * checkpoint or replays the batches after it into the producer state and the leader-epoch cache. Single-threaded:
 * runs once, before the log is shared; blocking file I/O throughout.
 */
public final class LogLoader {
    private static final Logger LOG = LoggerFactory.getLogger(LogLoader.class);
    private static final Checkpoint NO_CHECKPOINT = new Checkpoint(-1, -1, 0);

    /**
     * What {@link #load} found: the open segments (ascending, the last one active), the log start and end offsets,
     * the last checkpoint ({@code appliedIndex} -1 if none) and whether a new segment file was created (so the
     * directory needs an fsync).
     */
    public record Loaded(Segment[] segments, long logStartOffset, long logEndOffset, Checkpoint checkpoint,
                         boolean createdSegment) {
    }

    private final Path dir;
    private final LogConfig config;
    private final EpochCache epochs;
    private final ProducerStateTable producers;

    /** {@code epochs} and {@code producers} are empty; {@link #load} fills them. */
    public LogLoader(Path dir, LogConfig config, EpochCache epochs, ProducerStateTable producers) {
        this.dir = dir;
        this.config = config;
        this.epochs = epochs;
        this.producers = producers;
    }

    /**
     * Loads the log. With {@code truncate}, keeps exactly what the checkpoint vouches for (nothing if there is no
     * checkpoint); without, keeps every valid batch and replays those after the checkpoint.
     *
     * @throws IOException on an I/O error, a damaged state file, or (with {@code truncate}) if data the checkpoint
     *                     vouches for is missing or damaged; no segment is left open then
     */
    public Loaded load(boolean truncate) throws IOException {
        List<Segment> list = new ArrayList<>();
        try {
            return load(truncate, list);
        } catch (IOException | RuntimeException e) {
            for (Segment s : list) {
                s.close();
            }
            throw e;
        }
    }

    /**
     * The log of a directory just created (a new partition): one empty segment at offset 0 and nothing to read,
     * recover or clean up, so creating tens of thousands of partitions costs a directory and a file each.
     *
     * @throws IOException if the segment file cannot be created
     */
    public Loaded createEmpty() throws IOException {
        Segment s = Segment.open(dir, 0, true);
        s.rewriteIndexesAtNextPersist();
        return new Loaded(new Segment[] {s}, 0, 0, NO_CHECKPOINT, true);
    }

    /** {@link #load(boolean)}, adding the segments it opens to {@code list}. */
    private Loaded load(boolean truncate, List<Segment> list) throws IOException {
        TreeMap<Long, Path> logFiles = listSegmentFiles();
        CheckpointFiles.Stored ck = CheckpointFiles.read(dir, epochs, producers);
        long ckIndex = ck == null ? -1 : ck.appliedIndex();
        long ckTerm = ck == null ? -1 : ck.appliedTerm();
        long ckLeo = ck == null ? 0 : ck.logEndOffset();
        long ckLso = ck == null ? 0 : ck.logStartOffset();
        long fileLso = CheckpointFiles.readLogStartOffset(dir);
        long lso = Math.max(ckLso, Math.max(fileLso, 0));
        long stopOffset = truncate ? ckLeo : Long.MAX_VALUE;
        if (truncate) {
            lso = Math.min(lso, ckLeo);
        }
        // batches from here on are not vouched for by a checkpoint: their CRCs are checked and they are replayed
        long unchecked = ck == null ? Long.MIN_VALUE : ckLeo;
        List<Long> bases = keptSegments(logFiles, stopOffset, lso, ckLeo);
        openSegments(bases, list, stopOffset, unchecked);
        boolean created = false;
        long dataEnd = list.isEmpty() ? -1 : list.get(list.size() - 1).nextOffset();
        if (truncate && dataEnd != ckLeo) {
            if (lso >= ckLeo) {
                // nothing readable up to the checkpoint: everything was deleted on purpose (retention or
                // DeleteRecords after the checkpoint), or the log was never checkpointed
                for (Segment s : list) {
                    s.delete();
                }
                list.clear();
            } else {
                for (Segment s : list) {
                    s.close();
                }
                list.clear();
                throw new IOException("The partition log in " + dir + " ends at offset " + Math.max(dataEnd, 0)
                        + " but its checkpoint (applied index " + ckIndex + ") vouches for offsets " + lso
                        + " to " + ckLeo + ": segment data was lost or damaged; restore the replica from a snapshot");
            }
        }
        if (list.isEmpty()) {
            long base = truncate ? ckLeo : Math.max(ckLeo, lso);
            Segment.deleteFiles(dir, base);
            Segment s = Segment.open(dir, base, true);
            s.rewriteIndexesAtNextPersist();
            list.add(s);
            created = true;
        }
        long leo = list.get(list.size() - 1).nextOffset();
        long first = list.get(0).baseOffset();
        if (first > lso) {
            if (lso < first && fileLso < first && list.get(0).size() > 0) {
                LOG.warn("{}: data below offset {} is missing; moving the log start offset from {}", dir, first, lso);
            }
            lso = first;
        }
        lso = Math.min(lso, leo);
        epochs.truncateFromEnd(leo);
        epochs.truncateFromStart(lso);
        if (lso != fileLso && (fileLso >= 0 || lso > 0)) {
            CheckpointFiles.writeLogStartOffset(dir, lso);
        }
        LOG.debug("{}: opened, log start offset {}, log end offset {}, {} segment(s), {} producer(s)", dir, lso, leo,
                list.size(), producers.size());
        Checkpoint checkpoint = ck == null ? NO_CHECKPOINT : new Checkpoint(ckIndex, ckTerm, ckLeo);
        return new Loaded(list.toArray(new Segment[0]), lso, leo, checkpoint, created);
    }

    /**
     * Deletes the segments holding only data at or after {@code stopOffset} and those wholly below
     * {@code logStart}; returns the base offsets of the others, ascending.
     */
    private List<Long> keptSegments(TreeMap<Long, Path> logFiles, long stopOffset, long logStart,
                                    long checkpointEnd) throws IOException {
        List<Long> bases = new ArrayList<>();
        for (Long base : logFiles.keySet()) {
            if (base >= stopOffset) {
                LOG.info("{}: deleting segment {} beyond the checkpoint (log end offset {})", dir, base,
                        checkpointEnd);
                Segment.deleteFiles(dir, base);
            } else {
                bases.add(base);
            }
        }
        while (bases.size() > 1 && bases.get(1) <= logStart) {
            Segment.deleteFiles(dir, bases.remove(0));
        }
        return bases;
    }

    /**
     * Opens the segments at {@code bases} into {@code list}: scans (and cuts at the first invalid batch or at
     * {@code stopOffset}) the last one and every one holding offsets from {@code unchecked} on, replaying their
     * batches from there; loads the indexes of the others. Deletes the segments after a damaged one.
     */
    private void openSegments(List<Long> bases, List<Segment> list, long stopOffset, long unchecked)
            throws IOException {
        int interval = config.indexIntervalBytes();
        Segment.BatchVisitor replay = (header, position, size) -> {
            if (header.getLong(Batches.BASE_OFFSET) >= unchecked) {
                replayBatch(header);
            }
        };
        for (int i = 0; i < bases.size(); i++) {
            long base = bases.get(i);
            boolean last = i == bases.size() - 1;
            long nextBase = last ? Long.MAX_VALUE : bases.get(i + 1);
            Segment s = Segment.open(dir, base, false);
            list.add(s);
            boolean consistent;
            if (last || nextBase > unchecked) {
                Segment.ScanResult r = s.recover(stopOffset, unchecked, interval, replay);
                if (r.stopReason() != null) {
                    LOG.warn("{}: truncating segment {} to {} bytes: {}", dir, base, r.validSize(), r.stopReason());
                }
                consistent = r.stopReason() == null && (last || r.nextOffset() == nextBase);
            } else {
                consistent = loadSealed(s, nextBase);
            }
            if (!consistent && !last) {
                for (int j = i + 1; j < bases.size(); j++) {
                    LOG.warn("{}: deleting segment {} after the damaged segment {}", dir, bases.get(j), base);
                    Segment.deleteFiles(dir, bases.get(j));
                }
                break;
            }
        }
    }

    /** Loads a sealed, checkpointed segment's indexes, rebuilding them if needed; false if the segment is damaged. */
    private boolean loadSealed(Segment s, long nextBase) throws IOException {
        long fileSize = s.fileSize();
        if (s.loadIndexes(fileSize, nextBase)) {
            return fileSize <= Integer.MAX_VALUE;
        }
        LOG.info("{}: rebuilding the indexes of segment {}", dir, s.baseOffset());
        Segment.ScanResult r = s.recover(Long.MAX_VALUE, Long.MAX_VALUE, config.indexIntervalBytes(), null);
        s.seal();
        if (r.stopReason() != null || r.nextOffset() != nextBase) {
            LOG.warn("{}: segment {} is damaged ({}); truncated to offset {}", dir, s.baseOffset(),
                    r.stopReason() != null ? r.stopReason() : "ends at " + r.nextOffset() + " not " + nextBase,
                    r.nextOffset());
            return false;
        }
        return true;
    }

    /** Non-truncating recovery: rebuilds producer and epoch state from a batch header after the checkpoint. */
    private void replayBatch(ByteBuffer header) {
        replayBatch(header, epochs, producers);
    }

    /**
     * Rebuilds producer and epoch state from the header of a stored batch (at position 0 of {@code header}): the
     * non-truncating recovery, and batches copied from another replica. Writer thread.
     */
    public static void replayBatch(ByteBuffer header, EpochCache epochs, ProducerStateTable producers) {
        long base = header.getLong(Batches.BASE_OFFSET);
        int lastDelta = header.getInt(Batches.LAST_OFFSET_DELTA);
        epochs.assign(header.getInt(Batches.PARTITION_LEADER_EPOCH), base);
        long pid = header.getLong(Batches.PRODUCER_ID);
        if (pid < 0) {
            return;
        }
        short epoch = header.getShort(Batches.PRODUCER_EPOCH);
        int firstSeq = header.getInt(Batches.BASE_SEQUENCE);
        Entry entry = producers.get(pid);
        if (entry != null && epoch < entry.epoch) {
            return;
        }
        long maxTs = header.getLong(Batches.MAX_TIMESTAMP);
        boolean lat = (header.getShort(Batches.ATTRIBUTES) & Batches.TIMESTAMP_TYPE_BIT) != 0;
        BatchMeta meta = new BatchMeta(firstSeq, Batches.incrementSequence(firstSeq, lastDelta), base, lastDelta,
                lat ? maxTs : -1);
        producers.put(pid, ProducerStateTable.record(entry, epoch, meta, maxTs));
    }

    /** The segment log files by base offset, after deleting temporary files and indexes without a log file. */
    private TreeMap<Long, Path> listSegmentFiles() throws IOException {
        TreeMap<Long, Path> logFiles = new TreeMap<>();
        List<Path> indexFiles = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (name.endsWith(".tmp")) {
                    Files.deleteIfExists(p);
                } else if (Segment.parseBaseOffset(name, Segment.LOG_SUFFIX) >= 0) {
                    logFiles.put(Segment.parseBaseOffset(name, Segment.LOG_SUFFIX), p);
                } else if (Segment.parseBaseOffset(name, Segment.INDEX_SUFFIX) >= 0
                        || Segment.parseBaseOffset(name, Segment.TIME_INDEX_SUFFIX) >= 0) {
                    indexFiles.add(p);
                }
            }
        }
        for (Path p : indexFiles) { // indexes without a log file
            String name = p.getFileName().toString();
            String suffix = name.endsWith(Segment.INDEX_SUFFIX) ? Segment.INDEX_SUFFIX : Segment.TIME_INDEX_SUFFIX;
            if (!logFiles.containsKey(Segment.parseBaseOffset(name, suffix))) {
                Files.deleteIfExists(p);
            }
        }
        return logFiles;
    }
}
