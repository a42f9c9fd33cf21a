package io.chronik.log.internal;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

import io.chronik.api.consensus.ConsensusException;
import io.chronik.api.consensus.ConsensusException.Reason;

/**
 * Idempotent-producer state: per producer id its epoch and the metadata of its last
 * {@value #BATCHES_PER_PRODUCER} batches. Writer thread only (not thread-safe).
 */
public final class ProducerStateTable {
    public static final int BATCHES_PER_PRODUCER = 5;

    /** One appended batch of a producer. */
    public static final class BatchMeta {
        public final int firstSeq;
        public final int lastSeq;
        public final long baseOffset;
        public final int offsetDelta;
        /** The LogAppendTime the batch got, or -1 for CreateTime. */
        public final long logAppendTime;

        public BatchMeta(int firstSeq, int lastSeq, long baseOffset, int offsetDelta, long logAppendTime) {
            this.firstSeq = firstSeq;
            this.lastSeq = lastSeq;
            this.baseOffset = baseOffset;
            this.offsetDelta = offsetDelta;
            this.logAppendTime = logAppendTime;
        }
    }

    /** One producer: its epoch and a ring of its last batches (oldest first). */
    public static final class Entry {
        public short epoch;
        /** Append time of the last batch, for expiration. */
        public long lastAppendTime;
        final BatchMeta[] batches = new BatchMeta[BATCHES_PER_PRODUCER];
        int count;

        Entry(short epoch) {
            this.epoch = epoch;
        }

        Entry copy() {
            Entry e = new Entry(epoch);
            e.lastAppendTime = lastAppendTime;
            System.arraycopy(batches, 0, e.batches, 0, count);
            e.count = count;
            return e;
        }

        public BatchMeta last() {
            return count == 0 ? null : batches[count - 1];
        }

        BatchMeta find(int firstSeq, int lastSeq) {
            for (int i = 0; i < count; i++) {
                BatchMeta b = batches[i];
                if (b.firstSeq == firstSeq && b.lastSeq == lastSeq) {
                    return b;
                }
            }
            return null;
        }

        void add(BatchMeta b) {
            if (count == BATCHES_PER_PRODUCER) {
                System.arraycopy(batches, 1, batches, 0, count - 1);
                count--;
            }
            batches[count++] = b;
        }

        void reset(short newEpoch) {
            epoch = newEpoch;
            for (int i = 0; i < count; i++) {
                batches[i] = null;
            }
            count = 0;
        }
    }

    private final Map<Long, Entry> producers = new HashMap<>();

    public int size() {
        return producers.size();
    }

    public Entry get(long producerId) {
        return producers.get(producerId);
    }

    /** A private copy of a producer's entry (or null) for tentative validation of a multi-batch append. */
    public Entry copyOf(long producerId) {
        Entry e = producers.get(producerId);
        return e == null ? null : e.copy();
    }

    public void put(long producerId, Entry entry) {
        producers.put(producerId, entry);
    }

    /**
     * Checks a batch against {@code entry} (which may be null for an unknown producer). Returns the original batch
     * if this one is a duplicate, else null if it may be appended.
     */
    public static BatchMeta check(long producerId, Entry entry, short epoch, int firstSeq, int lastSeq)
            throws ConsensusException {
        if (firstSeq < 0) {
            throw new ConsensusException(Reason.INVALID_REQUEST,
                    "Producer " + producerId + " sent a batch without a base sequence");
        }
        if (entry == null) {
            if (firstSeq != 0) {
                throw new ConsensusException(Reason.OUT_OF_ORDER_SEQUENCE, "Unknown producer " + producerId
                        + " (epoch " + epoch + ") must start at sequence 0, got " + firstSeq);
            }
            return null;
        }
        if (epoch < entry.epoch) {
            throw new ConsensusException(Reason.INVALID_PRODUCER_EPOCH, "Producer " + producerId + " epoch " + epoch
                    + " is older than the current epoch " + entry.epoch);
        }
        if (epoch > entry.epoch) {
            if (firstSeq != 0) {
                throw new ConsensusException(Reason.OUT_OF_ORDER_SEQUENCE, "Producer " + producerId + " new epoch "
                        + epoch + " must start at sequence 0, got " + firstSeq);
            }
            return null;
        }
        BatchMeta dup = entry.find(firstSeq, lastSeq);
        if (dup != null) {
            return dup;
        }
        BatchMeta last = entry.last();
        if (last == null) {
            if (firstSeq != 0) {
                throw new ConsensusException(Reason.OUT_OF_ORDER_SEQUENCE, "Producer " + producerId
                        + " expected sequence 0, got " + firstSeq);
            }
            return null;
        }
        if (!Batches.inSequence(last.lastSeq, firstSeq)) {
            throw new ConsensusException(Reason.OUT_OF_ORDER_SEQUENCE, "Producer " + producerId + " epoch " + epoch
                    + ": out of order sequence " + firstSeq + ", expected " + Batches.incrementSequence(last.lastSeq, 1));
        }
        return null;
    }

    /** Records an appended batch in {@code entry} (created if null); returns the entry. */
    public static Entry record(Entry entry, short epoch, BatchMeta batch, long appendTime) {
        if (entry == null) {
            entry = new Entry(epoch);
        } else if (epoch > entry.epoch) {
            entry.reset(epoch);
        }
        entry.add(batch);
        entry.lastAppendTime = Math.max(entry.lastAppendTime, appendTime);
        return entry;
    }

    /** Removes producers idle since before {@code nowMs - maxIdleMs}; returns how many. */
    public int expire(long nowMs, long maxIdleMs) {
        int n = 0;
        for (Iterator<Entry> it = producers.values().iterator(); it.hasNext(); ) {
            if (nowMs - it.next().lastAppendTime > maxIdleMs) {
                it.remove();
                n++;
            }
        }
        return n;
    }

    public void clear() {
        producers.clear();
    }

    /** Bytes {@link #writeTo} needs. */
    public int serializedSize() {
        int n = 4;
        for (Entry e : producers.values()) {
            n += 8 + 2 + 8 + 1 + e.count * (4 + 4 + 8 + 4 + 8);
        }
        return n;
    }

    public void writeTo(ByteBuffer b) {
        b.putInt(producers.size());
        for (Map.Entry<Long, Entry> me : producers.entrySet()) {
            Entry e = me.getValue();
            b.putLong(me.getKey()).putShort(e.epoch).putLong(e.lastAppendTime).put((byte) e.count);
            for (int i = 0; i < e.count; i++) {
                BatchMeta m = e.batches[i];
                b.putInt(m.firstSeq).putInt(m.lastSeq).putLong(m.baseOffset).putInt(m.offsetDelta).putLong(m.logAppendTime);
            }
        }
    }

    /** Replaces the content with the serialized form; throws IllegalArgumentException if malformed. */
    public void readFrom(ByteBuffer b) {
        producers.clear();
        int n = b.getInt();
        if (n < 0) {
            throw new IllegalArgumentException("negative producer count " + n);
        }
        for (int i = 0; i < n; i++) {
            long pid = b.getLong();
            Entry e = new Entry(b.getShort());
            e.lastAppendTime = b.getLong();
            int count = b.get();
            if (count < 0 || count > BATCHES_PER_PRODUCER) {
                throw new IllegalArgumentException("bad batch count " + count + " for producer " + pid);
            }
            for (int j = 0; j < count; j++) {
                e.add(new BatchMeta(b.getInt(), b.getInt(), b.getLong(), b.getInt(), b.getLong()));
            }
            producers.put(pid, e);
        }
    }
}
