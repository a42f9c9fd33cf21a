package io.chronik.log.internal;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.log.LogConfig;

/**
 * One segment: {@code <baseOffset>.log} with its {@code .index} and {@code .timeindex}.
 *
 * <p>Concurrency: one writer thread appends ({@link #write}) and then publishes the new {@link #size()} (volatile);
 * readers only read below the published size with positional reads, which do not disturb the writer's
 * channel position. If a reader thread is interrupted the JDK closes the channel; it is then reopened for everyone.
 * The file is open only while it is used or among the recently used ones ({@link OpenSegmentFiles}): every use pins
 * the channel ({@link #acquire}/{@link #release}), and only an unpinned channel is closed for the cap.
 */
final class Segment {
    private static final Logger LOG = LoggerFactory.getLogger(Segment.class);

    static final String LOG_SUFFIX = ".log";
    static final String INDEX_SUFFIX = ".index";
    static final String TIME_INDEX_SUFFIX = ".timeindex";

    private final long baseOffset;
    private final Path logFile;
    private final Path indexFile;
    private final Path timeIndexFile;
    private final OffsetIndex offsetIndex = new OffsetIndex();
    private final TimeIndex timeIndex = new TimeIndex();

    private final OpenSegmentFiles files;
    /** The open file, or null while it is closed for {@link OpenSegmentFiles}' cap. Guarded by this. */
    private FileChannel channel;
    /** Operations using {@link #channel} now. Guarded by this. */
    private int pins;
    private volatile long lastUsedNanos = System.nanoTime();
    private volatile boolean closed;
    private volatile int size;
    /** The greatest batch max timestamp and the last offset of that batch (published together). */
    private volatile long[] maxTimestampAndOffset = {-1L, -1L};

    /** Writer only: the offset after the last batch. */
    private long nextOffset;
    /** Writer only: the time the segment is aged from for segment.ms, or -1 if not known yet. */
    private long rollBaseTime = -1;
    /** Writer only. */
    private int bytesSinceLastIndexEntry;
    /** Writer only: written since the last fsync. */
    private boolean dirty;
    /** Writer only: the index files must be rewritten entirely at the next persist. */
    private boolean indexesRebuilt;

    private Segment(Path dir, long baseOffset, FileChannel channel, OpenSegmentFiles files) {
        this.files = files;
        this.baseOffset = baseOffset;
        this.logFile = dir.resolve(fileName(baseOffset, LOG_SUFFIX));
        this.indexFile = dir.resolve(fileName(baseOffset, INDEX_SUFFIX));
        this.timeIndexFile = dir.resolve(fileName(baseOffset, TIME_INDEX_SUFFIX));
        this.channel = channel;
        this.nextOffset = baseOffset;
    }

    /** {@code <baseOffset>.<suffix>}, the offset zero-padded to 20 digits (as Kafka names segment files). */
    static String fileName(long baseOffset, String suffix) {
        if (baseOffset < 0) {
            return String.format("%020d%s", baseOffset, suffix);
        }
        String digits = Long.toString(baseOffset);
        return "0".repeat(20 - digits.length()) + digits + suffix; // String.format showed in creation profiles
    }

    /** Parses a segment file name, or returns -1 if it is not one with {@code suffix}. */
    static long parseBaseOffset(String fileName, String suffix) {
        if (!fileName.endsWith(suffix) || fileName.length() != 20 + suffix.length()) {
            return -1;
        }
        for (int i = 0; i < 20; i++) {
            if (!Character.isDigit(fileName.charAt(i))) {
                return -1;
            }
        }
        try {
            return Long.parseLong(fileName.substring(0, 20));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Deletes the files of the segment at {@code baseOffset} in {@code dir}, those that exist. */
    static void deleteFiles(Path dir, long baseOffset) throws IOException {
        Files.deleteIfExists(dir.resolve(fileName(baseOffset, LOG_SUFFIX)));
        Files.deleteIfExists(dir.resolve(fileName(baseOffset, INDEX_SUFFIX)));
        Files.deleteIfExists(dir.resolve(fileName(baseOffset, TIME_INDEX_SUFFIX)));
    }

    /** Opens (or creates) a segment; its published size is the file size (callers recover before publishing). */
    static Segment open(Path dir, long baseOffset, boolean create) throws IOException {
        return open(dir, baseOffset, create, OpenSegmentFiles.SHARED);
    }

    /** {@link #open(Path, long, boolean)} under the cap of {@code files}. */
    static Segment open(Path dir, long baseOffset, boolean create, OpenSegmentFiles files) throws IOException {
        Path file = dir.resolve(fileName(baseOffset, LOG_SUFFIX));
        FileChannel ch = create
                ? FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE)
                : FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        Segment s;
        try {
            s = new Segment(dir, baseOffset, ch, files);
            s.size = (int) Math.min(ch.size(), Integer.MAX_VALUE);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        files.opened(s);
        return s;
    }

    long baseOffset() {
        return baseOffset;
    }

    Path logFile() {
        return logFile;
    }

    /** Bytes visible to readers (a volatile read). */
    int size() {
        return size;
    }

    /** Writer only: the offset after the last batch. */
    long nextOffset() {
        return nextOffset;
    }

    /** The sparse time index (for searches by timestamp). */
    TimeIndex timeIndex() {
        return timeIndex;
    }

    /** Writer only: the index files are rewritten whole at the next persist (a segment created in their place). */
    void rewriteIndexesAtNextPersist() {
        indexesRebuilt = true;
    }

    /** Writer only: starts aging the segment for segment.ms at {@code timeMs} unless it already has a start. */
    void startAgingAt(long timeMs) {
        if (rollBaseTime < 0) {
            rollBaseTime = timeMs;
        }
    }

    /**
     * Writer only, for the active segment holding {@code currentSize} bytes: whether a batch of {@code batchSize}
     * bytes ending at {@code lastOffset}, appended at {@code nowMs}, must go to a new segment (by segment.bytes,
     * segment.ms, relative offsets beyond int32, or full indexes by segment.index.bytes). Never for an empty one.
     */
    boolean shouldRoll(long currentSize, int batchSize, long lastOffset, long nowMs, LogConfig cfg) {
        if (currentSize == 0) {
            return false;
        }
        return currentSize + batchSize > cfg.segmentBytes()
                || (rollBaseTime >= 0 && nowMs - rollBaseTime > cfg.segmentMs())
                || lastOffset - baseOffset > Integer.MAX_VALUE
                || offsetIndex.count() >= Math.max(1, cfg.segmentIndexBytes() / OffsetIndex.ENTRY_SIZE)
                || timeIndex.count() >= Math.max(1, cfg.segmentIndexBytes() / TimeIndex.ENTRY_SIZE);
    }

    boolean isClosed() {
        return closed;
    }

    long maxTimestamp() {
        return maxTimestampAndOffset[0];
    }

    long offsetOfMaxTimestamp() {
        return maxTimestampAndOffset[1];
    }

    private void setMaxTimestamp(long timestamp, long offset) {
        maxTimestampAndOffset = new long[] {timestamp, offset};
    }

    /** Writer only: the file's real length. */
    long fileSize() throws IOException {
        FileChannel ch = acquire();
        try {
            return ch.size();
        } finally {
            release();
        }
    }

    /** When the file was last used (for {@link OpenSegmentFiles}' choice of what to close). */
    long lastUsedNanos() {
        return lastUsedNanos;
    }

    /**
     * Pins the channel for one operation, reopening the file if it was closed for the cap or by an interrupted
     * thread; every call must be followed by {@link #release}.
     *
     * @throws ClosedChannelException if the segment was closed
     */
    private FileChannel acquire() throws IOException {
        boolean reopened = false;
        FileChannel ch;
        synchronized (this) {
            if (closed) {
                throw new ClosedChannelException();
            }
            ch = channel;
            if (ch == null || !ch.isOpen()) {
                if (ch != null) {
                    LOG.info("Reopening {} after its channel was closed by an interrupted thread", logFile);
                }
                ch = FileChannel.open(logFile, StandardOpenOption.READ, StandardOpenOption.WRITE);
                reopened = channel == null;
                channel = ch;
            }
            pins++;
        }
        lastUsedNanos = System.nanoTime();
        if (reopened) {
            files.opened(this); // may close other segments' files: not under this monitor
        }
        return ch;
    }

    private synchronized void release() {
        pins--;
    }

    /**
     * Closes the file if no operation is using it (it reopens on the next use); for {@link OpenSegmentFiles}.
     *
     * @return whether it was closed
     */
    boolean closeIdleChannel() {
        synchronized (this) {
            if (pins > 0 || channel == null || closed) {
                return false;
            }
            closeChannelLocked();
        }
        files.closed(this);
        return true;
    }

    /** Closes the open file, if any, and forgets it; called holding this monitor. */
    private void closeChannelLocked() {
        if (channel == null) {
            return;
        }
        try {
            channel.close();
        } catch (IOException e) {
            LOG.warn("Closing {} failed", logFile, e);
        }
        channel = null;
    }

    /**
     * Reads {@code dst.remaining()} bytes at {@code position}. Throws ClosedChannelException if the segment was
     * closed (deleted), EOFException if the file is shorter.
     */
    void readFully(ByteBuffer dst, long position) throws IOException {
        int attempts = 0;
        while (dst.hasRemaining()) {
            FileChannel ch = acquire();
            int n;
            try {
                n = ch.read(dst, position);
            } catch (ClosedChannelException e) {
                if (closed || Thread.currentThread().isInterrupted() || ++attempts > 3) {
                    throw e;
                }
                continue;
            } finally {
                release();
            }
            if (n < 0) {
                throw new EOFException("end of " + logFile + " at " + position);
            }
            position += n;
        }
    }

    /** Writer only: appends the buffers at the end of the file; does not publish the new size. */
    void write(ByteBuffer[] srcs, int offset, int length, long bytes) throws IOException {
        FileChannel ch = acquire();
        try {
            ch.position(size);
            long written = 0;
            int first = offset;
            int end = offset + length;
            while (written < bytes) {
                while (first < end && !srcs[first].hasRemaining()) {
                    first++;
                }
                written += ch.write(srcs, first, end - first);
            }
        } finally {
            release();
        }
        dirty = true;
    }

    /** Writer only: makes {@code newSize} bytes visible to readers. */
    void publishSize(int newSize) {
        size = newSize;
    }

    /** Single-threaded (recovery): cuts the file to {@code newSize}. */
    private void truncateTo(int newSize) throws IOException {
        FileChannel ch = acquire();
        try {
            if (ch.size() > newSize) {
                ch.truncate(newSize);
            }
        } finally {
            release();
        }
        size = newSize;
        dirty = true;
    }

    /**
     * Writer only: records a batch just written at {@code position} in the sparse indexes (Kafka's rule: an entry
     * when more than {@code indexInterval} bytes were written since the last one).
     */
    void onBatchAppended(long baseOffsetOfBatch, long lastOffset, int position, int batchSize,
                                long maxTimestamp, int indexInterval) {
        if (maxTimestamp > maxTimestamp()) {
            setMaxTimestamp(maxTimestamp, lastOffset);
        }
        if (bytesSinceLastIndexEntry > indexInterval) {
            offsetIndex.append((int) (baseOffsetOfBatch - baseOffset), position);
            long maxTs = maxTimestamp();
            if (maxTs >= 0) {
                timeIndex.maybeAppend(maxTs, (int) (offsetOfMaxTimestamp() - baseOffset));
            }
            bytesSinceLastIndexEntry = 0;
        }
        bytesSinceLastIndexEntry += batchSize;
        nextOffset = lastOffset + 1;
    }

    /** Writer only: the segment stops being active; its time index gets its final entry (the max timestamp). */
    void seal() throws IOException {
        long maxTs = maxTimestamp();
        if (maxTs >= 0) {
            timeIndex.maybeAppend(maxTs, (int) (offsetOfMaxTimestamp() - baseOffset));
        }
        persistIndexes(false);
        dirty = true; // the final index entries still need an fsync
    }

    /** Writer only: writes pending index entries, fsyncing if asked. */
    void persistIndexes(boolean fsync) throws IOException {
        boolean rewrite = indexesRebuilt;
        offsetIndex.persist(indexFile, rewrite, fsync);
        timeIndex.persist(timeIndexFile, rewrite, fsync);
        indexesRebuilt = false;
    }

    /** Writer only: fsyncs the log file and the indexes if anything was written since the last flush. */
    void flush() throws IOException {
        if (closed || !dirty) {
            return;
        }
        FileChannel ch = acquire();
        try {
            ch.force(true);
        } finally {
            release();
        }
        persistIndexes(true);
        dirty = false;
    }

    /** Callback of {@link #recover}. */
    interface BatchVisitor {
        /** {@code header} holds the batch's 61 header bytes at index 0 (absolute gets only). */
        void visit(ByteBuffer header, int position, int batchSize);
    }

    /**
     * Result of {@link #recover}: where the valid batches end, the offset after the last one, and why the scan
     * stopped before the end of the file (null if it did not).
     */
    record ScanResult(int validSize, long nextOffset, String stopReason) {
    }

    /**
     * Single-threaded (recovery): walks the batches of the file from the start, checking each header (length,
     * magic, offsets contiguous from the base offset) and, for batches at or after {@code crcFromOffset}, the
     * CRC32C. Stops before the first invalid batch or the first batch that does not end before {@code stopOffset},
     * and cuts the file there. Rebuilds both indexes (persisting them) and the max timestamp on the way; ages the
     * segment from its first batch's max timestamp.
     */
    ScanResult recover(long stopOffset, long crcFromOffset, int indexInterval, BatchVisitor visitor)
            throws IOException {
        offsetIndex.clear();
        timeIndex.clear();
        maxTimestampAndOffset = new long[] {-1L, -1L};
        bytesSinceLastIndexEntry = 0;
        nextOffset = baseOffset;
        indexesRebuilt = true;

        String stopReason = null;
        long firstBatchMaxTimestamp = -1;
        long fileSize = fileSize();
        long limit = Math.min(fileSize, Integer.MAX_VALUE);
        ByteBuffer header = ByteBuffer.allocate(Batches.HEADER_SIZE);
        ByteBuffer body = ByteBuffer.allocate(0);
        CRC32C crc = new CRC32C();
        long pos = 0;
        long expected = baseOffset;
        while (true) {
            if (pos == limit) {
                break;
            }
            if (pos + Batches.HEADER_SIZE > limit) {
                stopReason = "incomplete batch header at position " + pos;
                break;
            }
            header.clear();
            readFully(header, pos);
            stopReason = BatchValidator.storedHeaderProblem(header, pos, limit);
            if (stopReason != null) {
                break;
            }
            long base = header.getLong(Batches.BASE_OFFSET);
            int lastDelta = header.getInt(Batches.LAST_OFFSET_DELTA);
            if (base != expected || lastDelta < 0) {
                stopReason = "offset " + base + " at position " + pos + " where " + expected + " was expected";
                break;
            }
            long last = base + lastDelta;
            if (last >= stopOffset) {
                if (base < stopOffset) {
                    stopReason = "batch " + base + ".." + last + " straddles the truncation offset " + stopOffset;
                }
                break;
            }
            int batchSize = Batches.LOG_OVERHEAD + header.getInt(Batches.LENGTH);
            if (base >= crcFromOffset) {
                if (body.capacity() < batchSize - Batches.ATTRIBUTES) {
                    body = ByteBuffer.allocate(Math.max(batchSize - Batches.ATTRIBUTES, body.capacity() * 2));
                }
                body.clear().limit(batchSize - Batches.ATTRIBUTES);
                readFully(body, pos + Batches.ATTRIBUTES);
                body.flip();
                if (!BatchValidator.crcMatches(header.getInt(Batches.CRC), body, crc)) {
                    stopReason = "CRC mismatch in batch at offset " + base + ", position " + pos;
                    break;
                }
            }
            long maxTs = header.getLong(Batches.MAX_TIMESTAMP);
            if (pos == 0) {
                firstBatchMaxTimestamp = maxTs;
            }
            onBatchAppended(base, last, (int) pos, batchSize, maxTs, indexInterval);
            if (visitor != null) {
                visitor.visit(header, (int) pos, batchSize);
            }
            pos += batchSize;
            expected = last + 1;
        }
        if (stopReason == null && fileSize > limit) {
            stopReason = "segment larger than 2 GiB";
        }
        int validSize = (int) pos;
        if (fileSize != validSize) {
            truncateTo(validSize);
        } else {
            publishSize(validSize);
        }
        nextOffset = expected;
        rollBaseTime = firstBatchMaxTimestamp >= 0 ? firstBatchMaxTimestamp : -1;
        persistIndexes(false);
        return new ScanResult(validSize, expected, stopReason);
    }

    /**
     * Single-threaded (recovery) for a sealed segment whose successor starts at {@code nextBase}: loads the index
     * files, checking them against the file size and the offset range. If they are sound (and the time index has
     * the final entry a non-empty sealed segment gets), publishes the file size and the max timestamp and returns
     * true; otherwise returns false and the caller rebuilds them with {@link #recover}.
     */
    boolean loadIndexes(long fileSize, long nextBase) throws IOException {
        boolean ok = offsetIndex.load(indexFile, fileSize)
                && timeIndex.load(timeIndexFile, nextBase - baseOffset - 1)
                && (timeIndex.count() > 0 || fileSize == 0);
        if (ok) {
            publishSize((int) Math.min(fileSize, Integer.MAX_VALUE));
            setMaxTimestamp(timeIndex.lastTimestamp(), baseOffset + timeIndex.lastRelativeOffset());
            nextOffset = nextBase;
        }
        return ok;
    }

    /** Reads the header of the batch at {@code position} into {@code header} (61 bytes). */
    void readHeader(ByteBuffer header, int position) throws IOException {
        header.clear();
        readFully(header, position);
    }

    /**
     * The position of the batch containing {@code offset} (or the first batch after it), scanning from the sparse
     * index entry; returns {@code size} if no batch in the published data contains it.
     */
    int positionOf(long offset, ByteBuffer header) throws IOException {
        int limit = size;
        int pos = offsetIndex.floorPosition(offset - baseOffset);
        while (pos + Batches.HEADER_SIZE <= limit) {
            readHeader(header, pos);
            long base = header.getLong(Batches.BASE_OFFSET);
            long last = base + header.getInt(Batches.LAST_OFFSET_DELTA);
            if (last >= offset) {
                return pos;
            }
            pos += Batches.LOG_OVERHEAD + header.getInt(Batches.LENGTH);
        }
        return limit;
    }

    void close() {
        synchronized (this) {
            closed = true;
            closeChannelLocked();
        }
        files.closed(this);
    }

    /** Closes and deletes the files; returns the deleted paths. */
    List<Path> delete() throws IOException {
        close();
        List<Path> deleted = new ArrayList<>(3);
        for (Path p : new Path[] {logFile, indexFile, timeIndexFile}) {
            if (Files.deleteIfExists(p)) {
                deleted.add(p);
            }
        }
        return deleted;
    }

    @Override
    public String toString() {
        return "Segment[" + logFile.getFileName() + ", size " + size + "]";
    }
}
