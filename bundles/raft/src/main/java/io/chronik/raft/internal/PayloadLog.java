package io.chronik.raft.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.statemachine.StateMachine;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The record batches of a data group's Raft entries, kept beside the Raft log instead of in it (Ratis' state
 * machine data). The Raft log holds each entry's small header (which partitions, which producer request); Ratis
 * hands the payload to {@link #write} when it appends the entry, and asks for it back with {@link #read} when it
 * needs the whole entry and no longer has it in memory (replay after a restart, a lagging follower).
 *
 * <p>Why: Ratis checksums every byte it logs with a pure-Java CRC, fills its segments with zeros ahead of writing,
 * and forces its log after each write batch even under {@link FlushPolicy#OS}. Under produce load that was a
 * quarter of the broker's CPU, most of it for payload bytes that the partition logs store again when the entry is
 * applied. Here a payload is written once with a hardware CRC32C and forced only where the flush policy asks:
 * {@link #flush}, which Ratis calls when it forces its log, fsyncs under {@link FlushPolicy#RAFT} (on a thread of its
 * own, while Ratis forces its log) and does nothing under {@link FlushPolicy#OS}.
 *
 * <p>Files {@code <sequence>.payloads} under the group's state machine directory hold records
 * {@code index:long length:int crc32c:int payload}. The latest record of an index wins: after a follower's log is
 * truncated, Ratis writes the replacing entries again under the same indexes, so {@link #truncate} need not (and,
 * as Ratis runs it later on another thread than the writes that follow it, must not) remove anything. A file goes
 * once the Raft log no longer holds any of its indexes ({@link #purgeBelow}).
 */
final class PayloadLog implements StateMachine.DataApi {
    private static final Logger LOG = LoggerFactory.getLogger(PayloadLog.class);
    private static final String SUFFIX = ".payloads";
    static final int RECORD_HEADER = 8 + 4 + 4;

    /** One file: its channel, and the position of each index's latest record in it. */
    private static final class PayloadFile {
        final long sequence;
        final Path path;
        final FileChannel channel;
        long size;
        long maxIndex = -1;
        final Map<Long, Long> positions = new TreeMap<>();

        PayloadFile(long sequence, Path path, FileChannel channel, long size) {
            this.sequence = sequence;
            this.path = path;
            this.channel = channel;
            this.size = size;
        }
    }

    private final Path dir;
    private final boolean fsync;
    private final long rollBytes;
    private final String name;
    /** Files by sequence; the last one is written. */
    private final TreeMap<Long, PayloadFile> files = new TreeMap<>();
    /** Which file holds the latest record of an index. */
    private final TreeMap<Long, PayloadFile> byIndex = new TreeMap<>();
    private final CRC32C crc = new CRC32C();
    /** Files written since the last {@link #force}. */
    private final List<PayloadFile> unforced = new ArrayList<>();
    private boolean closed;
    /** Runs the fsyncs of {@link #flush} (null without fsync); one thread, so flushes complete in order. */
    private final java.util.concurrent.ExecutorService flusher;

    private PayloadLog(Path dir, boolean fsync, long rollBytes, String name) {
        this.dir = dir;
        this.fsync = fsync;
        this.rollBytes = rollBytes;
        this.name = name;
        this.flusher = !fsync ? null : java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "chronik-payload-flush-" + name.replace(' ', '-'));
            t.setDaemon(true);
            return t;
        });
    }

    /** Opens (creating if needed) the payload log in {@code dir}, indexing the records of its files. */
    static PayloadLog open(Path dir, FlushPolicy policy, long rollBytes, String name) throws IOException {
        Files.createDirectories(dir);
        PayloadLog log = new PayloadLog(dir, policy == FlushPolicy.RAFT, rollBytes, name);
        log.load();
        return log;
    }

    private void load() throws IOException {
        List<Path> paths;
        try (Stream<Path> s = Files.list(dir)) {
            paths = s.filter(p -> p.getFileName().toString().endsWith(SUFFIX)).toList();
        }
        for (Path p : paths) {
            String n = p.getFileName().toString();
            long sequence = Long.parseLong(n.substring(0, n.length() - SUFFIX.length()));
            FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
            files.put(sequence, new PayloadFile(sequence, p, ch, ch.size()));
        }
        ByteBuffer header = ByteBuffer.allocate(RECORD_HEADER);
        for (PayloadFile f : files.values()) {
            long position = 0;
            while (position + RECORD_HEADER <= f.size) {
                header.clear();
                readFully(f.channel, header, position);
                long index = header.getLong(0);
                int length = header.getInt(8);
                if (length < 0 || position + RECORD_HEADER + length > f.size) {
                    break; // torn tail
                }
                record(f, index, position);
                position += RECORD_HEADER + length;
            }
            if (position < f.size) {
                LOG.warn("{}: {} ends with {} bytes of an incomplete record; cut", name, f.path, f.size - position);
                f.channel.truncate(position);
                f.size = position;
            }
            f.channel.position(f.size); // appends continue at the end; each write advances the position
        }
        LOG.debug("{}: {} payload file(s), {} entries", name, files.size(), byIndex.size());
    }

    private void record(PayloadFile f, long index, long position) {
        f.positions.put(index, position);
        f.maxIndex = Math.max(f.maxIndex, index);
        PayloadFile previous = byIndex.put(index, f);
        if (previous != null && previous != f) {
            previous.positions.remove(index);
        }
    }

    /** Ratis appends an entry that carries a payload: store it (in the page cache; {@link #flush} forces). */
    @Override
    public CompletableFuture<?> write(LogEntryProto entry, TransactionContext context) {
        ByteString payload = entry.getStateMachineLogEntry().getStateMachineEntry().getStateMachineData();
        try {
            append(entry.getIndex(), payload);
            return CompletableFuture.completedFuture(null);
        } catch (IOException | RuntimeException e) {
            LOG.error("{}: storing the payload of entry {} failed", name, entry.getIndex(), e);
            return CompletableFuture.failedFuture(e);
        }
    }

    synchronized void append(long index, ByteString payload) throws IOException {
        if (closed) {
            throw new IOException(name + ": payload log closed");
        }
        PayloadFile f = files.isEmpty() ? null : files.lastEntry().getValue();
        if (f == null || f.size >= rollBytes) {
            f = newFile(f == null ? 0 : f.sequence + 1);
        }
        ByteBuffer data = payload.asReadOnlyByteBuffer();
        crc.reset();
        crc.update(data.duplicate());
        ByteBuffer header = ByteBuffer.allocate(RECORD_HEADER);
        header.putLong(index).putInt(payload.size()).putInt((int) crc.getValue()).flip();
        long position = f.size;
        ByteBuffer[] buffers = {header, data};
        long expected = RECORD_HEADER + (long) payload.size();
        long written = 0;
        while (written < expected) {
            written += f.channel.write(buffers);
        }
        f.size += expected;
        record(f, index, position);
        if (fsync && (unforced.isEmpty() || unforced.get(unforced.size() - 1) != f)) {
            unforced.add(f);
        }
    }

    private PayloadFile newFile(long sequence) throws IOException {
        Path p = dir.resolve(String.format("%020d%s", sequence, SUFFIX));
        FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
        PayloadFile f = new PayloadFile(sequence, p, ch, 0);
        files.put(sequence, f);
        if (fsync) {
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true); // the new file's directory entry
            }
        }
        return f;
    }

    /**
     * Stands in for a payload this replica no longer has (a power loss took pages the OS had not written, or a
     * record fails its checksum). {@link DataEntry#decode} rejects it, so every replica skips such an entry alike
     * instead of a follower waiting forever for an entry the leader cannot send.
     */
    static final ByteString LOST = ByteString.copyFrom(new byte[] {0});

    /** Ratis needs an entry whose payload it no longer holds in memory (to send it to a follower). */
    @Override
    public CompletableFuture<ByteString> read(LogEntryProto entry, TransactionContext context) {
        try {
            return CompletableFuture.completedFuture(read(entry.getIndex()));
        } catch (IOException e) {
            LOG.error("{}: {}; the entry goes to followers without its record batches and is skipped everywhere",
                    name, e.getMessage());
            return CompletableFuture.completedFuture(LOST);
        }
    }

    synchronized ByteString read(long index) throws IOException {
        PayloadFile f = byIndex.get(index);
        Long position = f == null ? null : f.positions.get(index);
        if (position == null) {
            throw new IOException(name + ": no payload stored for entry " + index);
        }
        ByteBuffer header = ByteBuffer.allocate(RECORD_HEADER);
        readFully(f.channel, header, position);
        int length = header.getInt(8);
        ByteBuffer data = ByteBuffer.allocate(length);
        readFully(f.channel, data, position + RECORD_HEADER);
        crc.reset();
        crc.update(data.array(), 0, length);
        if ((int) crc.getValue() != header.getInt(12)) {
            throw new IOException(name + ": the payload of entry " + index + " in " + f.path + " fails its checksum");
        }
        return UnsafeByteOperations.unsafeWrap(data.array());
    }

    /**
     * Ratis forces its log up to {@code logIndex}: fsync the payloads too if the flush policy says so, on the flusher
     * thread, while Ratis' log worker fsyncs its own log (Ratis waits for both before it counts the entries as
     * flushed; {@link RatisSetup} turns off its waiting for this future before its own fsync). Every payload up to
     * {@code logIndex} was written before this call (Ratis stores an entry's payload before queueing the entry).
     */
    @Override
    public CompletableFuture<Void> flush(long logIndex) {
        if (!fsync) {
            return CompletableFuture.completedFuture(null);
        }
        List<PayloadFile> toForce = takeUnforced();
        if (toForce.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            flusher.execute(() -> {
                try {
                    force(toForce);
                    done.complete(null);
                } catch (IOException | RuntimeException e) {
                    LOG.error("{}: forcing the payloads up to entry {} failed", name, logIndex, e);
                    done.completeExceptionally(e);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            done.completeExceptionally(new IOException(name + ": payload log closed", e));
        }
        return done;
    }

    /** fsyncs every payload written so far, on the calling thread. */
    void force() throws IOException {
        force(takeUnforced());
    }

    private synchronized List<PayloadFile> takeUnforced() {
        if (closed || unforced.isEmpty()) {
            return List.of();
        }
        List<PayloadFile> taken = List.copyOf(unforced);
        unforced.clear();
        return taken;
    }

    /**
     * fsyncs {@code toForce} without holding this log's monitor, so that Ratis goes on storing payloads meanwhile. A
     * file closed meanwhile was purged (none of its entries is in the Raft log any more) or the log closed: nothing to
     * force. On failure the files count as unforced again.
     */
    private void force(List<PayloadFile> toForce) throws IOException {
        for (int i = 0; i < toForce.size(); i++) {
            try {
                toForce.get(i).channel.force(false);
            } catch (java.nio.channels.ClosedChannelException e) {
                // purged or closed: see above
            } catch (IOException e) {
                synchronized (this) {
                    for (PayloadFile f : toForce.subList(i, toForce.size())) {
                        if (!unforced.contains(f) && files.containsValue(f)) {
                            unforced.add(0, f);
                        }
                    }
                }
                throw e;
            }
        }
    }

    /** Nothing to remove: the entries Ratis writes next under the same indexes replace these (see class doc). */
    @Override
    public CompletableFuture<Void> truncate(long logIndex) {
        return CompletableFuture.completedFuture(null);
    }

    /** Deletes the files none of whose entries is at or after {@code startIndex} (the Raft log's first index). */
    synchronized int purgeBelow(long startIndex) {
        int deleted = 0;
        Iterator<PayloadFile> it = files.values().iterator();
        while (it.hasNext()) {
            PayloadFile f = it.next();
            if (f == files.lastEntry().getValue() || f.maxIndex >= startIndex) {
                continue;
            }
            it.remove();
            unforced.remove(f);
            for (Long index : f.positions.keySet()) {
                byIndex.remove(index, f);
            }
            try {
                f.channel.close();
                Files.deleteIfExists(f.path);
                deleted++;
            } catch (IOException e) {
                LOG.warn("{}: deleting {} failed", name, f.path, e);
            }
        }
        return deleted;
    }

    /** Indexes with a stored payload, for tests. */
    synchronized long[] indexes() {
        return byIndex.keySet().stream().mapToLong(Long::longValue).toArray();
    }

    synchronized int fileCount() {
        return files.size();
    }

    synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (flusher != null) {
            flusher.shutdown(); // a flush already queued finds its channels closed
        }
        List<IOException> failures = new ArrayList<>();
        for (PayloadFile f : files.values()) {
            try {
                f.channel.close();
            } catch (IOException e) {
                failures.add(e);
            }
        }
        if (!failures.isEmpty()) {
            LOG.warn("{}: closing payload files failed: {}", name, Arrays.toString(failures.toArray()));
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long position) throws IOException {
        while (b.hasRemaining()) {
            int n = ch.read(b, position + b.position());
            if (n < 0) {
                throw new IOException("unexpected end of file");
            }
        }
        b.flip();
    }
}
