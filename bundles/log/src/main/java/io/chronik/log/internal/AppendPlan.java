package io.chronik.log.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

import io.chronik.api.consensus.ConsensusException;
import io.chronik.api.consensus.ConsensusException.Reason;
import io.chronik.log.LogConfig;
import io.chronik.log.internal.ProducerStateTable.BatchMeta;
import io.chronik.log.internal.ProducerStateTable.Entry;

/**
 * The batches of one append after validation and the idempotent-producer checks, before anything is written:
 * where each batch starts in the caller's buffer and either the base offset it gets or the earlier batch it
 * duplicates, plus the producer state the append leaves behind. Built and used by the log's writer thread; the
 * caller's buffer is read, never modified.
 */
public final class AppendPlan {
    /** The caller's bytes (a big-endian view). */
    final ByteBuffer in;
    /** Number of batches. */
    final int count;
    /** Where each batch starts in {@link #in}. */
    final int[] positions;
    /** The base offset each new batch gets (unused for duplicates). */
    final long[] baseOffsets;
    /** For a duplicate batch, the producer's earlier batch it repeats; null for a new one. */
    final BatchMeta[] duplicates;
    /** The offset after the last new batch: the log end offset once the plan is written. */
    final long nextOffset;
    /**
     * Copied batches ({@link #copied}): written as they are, with their own base offsets, partition leader epochs,
     * timestamps and CRCs.
     */
    final boolean verbatim;
    private final Map<Long, Entry> producerUpdates;
    private final int newBatches;
    private final int newRecords;

    private AppendPlan(ByteBuffer in, int count, int[] positions, long[] baseOffsets, BatchMeta[] duplicates,
                       long nextOffset, Map<Long, Entry> producerUpdates, int newBatches, int newRecords) {
        this(in, count, positions, baseOffsets, duplicates, nextOffset, producerUpdates, newBatches, newRecords, false);
    }

    private AppendPlan(ByteBuffer in, int count, int[] positions, long[] baseOffsets, BatchMeta[] duplicates,
                       long nextOffset, Map<Long, Entry> producerUpdates, int newBatches, int newRecords,
                       boolean verbatim) {
        this.verbatim = verbatim;
        this.in = in;
        this.count = count;
        this.positions = positions;
        this.baseOffsets = baseOffsets;
        this.duplicates = duplicates;
        this.nextOffset = nextOffset;
        this.producerUpdates = producerUpdates;
        this.newBatches = newBatches;
        this.newRecords = newRecords;
    }

    /**
     * Validates every batch of {@code batches} (position to limit) with {@code validator}, then assigns offsets
     * from {@code logEndOffset} to the batches that are not duplicates of a producer's recent batches. The producer
     * table is not changed (see {@link #commitProducers}).
     *
     * @throws ConsensusException INVALID_REQUEST for empty input, the reasons of {@link BatchValidator#validate},
     *                            OUT_OF_ORDER_SEQUENCE and INVALID_PRODUCER_EPOCH from the producer checks
     */
    public static AppendPlan of(ByteBuffer batches, BatchValidator validator, LogConfig cfg, long appendTimeMs,
                                long logEndOffset, ProducerStateTable producers) throws ConsensusException {
        ByteBuffer in = batches.duplicate().order(ByteOrder.BIG_ENDIAN);
        int start = in.position();
        int end = in.limit();
        if (start == end) {
            throw new ConsensusException(Reason.INVALID_REQUEST, "No record batches (empty buffer)");
        }
        int n = 0;
        int[] pos = new int[4];
        for (int p = start; p < end; ) {
            if (n == pos.length) {
                pos = Arrays.copyOf(pos, n * 2);
            }
            pos[n++] = p;
            p += validator.validate(in, p, end, cfg, appendTimeMs, p - start);
        }
        long next = logEndOffset;
        long[] bases = new long[n];
        BatchMeta[] dups = new BatchMeta[n];
        Map<Long, Entry> pending = null;
        int appended = 0;
        int records = 0;
        for (int i = 0; i < n; i++) {
            int p = pos[i];
            int lastDelta = in.getInt(p + Batches.LAST_OFFSET_DELTA);
            long pid = in.getLong(p + Batches.PRODUCER_ID);
            if (pid >= 0) {
                if (pending == null) {
                    pending = new HashMap<>(4);
                }
                short epoch = in.getShort(p + Batches.PRODUCER_EPOCH);
                int firstSeq = in.getInt(p + Batches.BASE_SEQUENCE);
                int lastSeq = Batches.incrementSequence(firstSeq, lastDelta);
                Entry entry = pending.containsKey(pid) ? pending.get(pid) : producers.copyOf(pid);
                BatchMeta dup = ProducerStateTable.check(pid, entry, epoch, firstSeq, lastSeq);
                if (dup != null) {
                    dups[i] = dup;
                    continue;
                }
                BatchMeta meta = new BatchMeta(firstSeq, lastSeq, next, lastDelta,
                        cfg.isLogAppendTime() ? appendTimeMs : -1);
                pending.put(pid, ProducerStateTable.record(entry, epoch, meta, appendTimeMs));
            }
            bases[i] = next;
            next += lastDelta + 1L;
            appended++;
            records += in.getInt(p + Batches.RECORD_COUNT);
        }
        return new AppendPlan(in, n, pos, bases, dups, next, pending, appended, records);
    }

    /**
     * The plan for batches copied from another replica of the partition ({@code batches}, position to limit, as that
     * replica stored them): each is checked for framing and CRC only and keeps its base offset; batches that end
     * before {@code logEndOffset} are already here and are left out. The producer state is not touched (the caller
     * replays the written batches' headers).
     *
     * @throws ConsensusException CORRUPT_RECORD for a damaged batch; OFFSET_OUT_OF_RANGE if the first batch not yet
     *                            here does not start at {@code logEndOffset} (a gap) or the batches are not
     *                            contiguous
     */
    public static AppendPlan copied(ByteBuffer batches, long logEndOffset) throws ConsensusException {
        ByteBuffer in = batches.duplicate().order(ByteOrder.BIG_ENDIAN);
        BatchValidator.checkIntegrity(in);
        int end = in.limit();
        int n = 0;
        int[] pos = new int[4];
        long[] bases = new long[4];
        long next = logEndOffset;
        int records = 0;
        for (int p = in.position(); p < end; p += Batches.LOG_OVERHEAD + in.getInt(p + Batches.LENGTH)) {
            long base = in.getLong(p + Batches.BASE_OFFSET);
            long last = base + in.getInt(p + Batches.LAST_OFFSET_DELTA);
            if (last < next) {
                continue; // already copied
            }
            if (base != next) {
                throw new ConsensusException(Reason.OFFSET_OUT_OF_RANGE, "copied batch at offset " + base
                        + " does not continue the log, which ends at " + next);
            }
            if (n == pos.length) {
                pos = Arrays.copyOf(pos, n * 2);
                bases = Arrays.copyOf(bases, n * 2);
            }
            pos[n] = p;
            bases[n++] = base;
            next = last + 1;
            records += in.getInt(p + Batches.RECORD_COUNT);
        }
        return new AppendPlan(in, n, pos, bases, new BatchMeta[n], next, null, n, records, true);
    }

    /** The position in the caller's buffer of batch {@code i} of the plan (read-only view: {@link #buffer}). */
    public int position(int i) {
        return positions[i];
    }

    /** Number of batches in the plan. */
    public int count() {
        return count;
    }

    /** A big-endian view of the caller's bytes. */
    public ByteBuffer buffer() {
        return in;
    }

    /** Whether every batch is a duplicate (nothing to write). */
    public boolean allDuplicates() {
        return newBatches == 0;
    }

    /** The base offset of the first new batch (the one the append's leader epoch starts at); not for duplicates. */
    public long firstNewOffset() {
        for (int i = 0; i < count; i++) {
            if (duplicates[i] == null) {
                return baseOffsets[i];
            }
        }
        throw new IllegalStateException("every batch is a duplicate");
    }

    /** The offset of the first batch: its new base offset, or the original one of a duplicate. */
    public long baseOffset() {
        return duplicates[0] != null ? duplicates[0].baseOffset : baseOffsets[0];
    }

    /** The offset of the last record: of the last new batch, or of the original of a trailing duplicate. */
    public long lastOffset() {
        BatchMeta last = duplicates[count - 1];
        return last != null ? last.baseOffset + last.offsetDelta : nextOffset - 1;
    }

    /** The log append time of the original first batch, when every batch is a duplicate. */
    public long duplicateLogAppendTime() {
        return duplicates[0].logAppendTime;
    }

    /** Records in the new batches. */
    public int newRecords() {
        return newRecords;
    }

    /** The offset after the last new batch: the log end offset once the plan is written. */
    public long nextOffset() {
        return nextOffset;
    }

    /** Stores the producer state of the new batches in {@code producers} (once they are written). */
    public void commitProducers(ProducerStateTable producers) {
        if (producerUpdates != null) {
            for (Map.Entry<Long, Entry> e : producerUpdates.entrySet()) {
                producers.put(e.getKey(), e.getValue());
            }
        }
    }
}
