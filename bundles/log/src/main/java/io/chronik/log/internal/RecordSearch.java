package io.chronik.log.internal;

import java.io.IOException;
import java.nio.ByteBuffer;

import io.chronik.api.consensus.PartitionLog.TimestampOffset;

/** Finding the first record at or after a timestamp in one segment (the ListOffsets path, not the hot path). */
final class RecordSearch {
    private RecordSearch() {
    }

    /**
     * The first record in {@code seg} with a timestamp at or after {@code ts} and an offset in
     * [{@code logStart}, {@code logEnd}), or null. Starts at the time index entry, then walks batch headers.
     */
    static TimestampOffset search(Segment seg, long ts, long logStart, long logEnd, ByteBuffer header)
            throws IOException {
        int rel = seg.timeIndex().floorOffset(ts);
        long from = rel < 0 ? seg.baseOffset() : seg.baseOffset() + rel;
        from = Math.max(from, logStart);
        int limit = seg.size();
        int pos = seg.positionOf(from, header);
        while (pos + Batches.HEADER_SIZE <= limit) {
            seg.readHeader(header, pos);
            long base = header.getLong(Batches.BASE_OFFSET);
            int size = Batches.LOG_OVERHEAD + header.getInt(Batches.LENGTH);
            long last = base + header.getInt(Batches.LAST_OFFSET_DELTA);
            if (base >= logEnd) {
                return null;
            }
            if (header.getLong(Batches.MAX_TIMESTAMP) >= ts && last >= logStart) {
                return inBatch(seg, header, pos, size, ts, logStart);
            }
            pos += size;
        }
        return null;
    }

    private static TimestampOffset inBatch(Segment seg, ByteBuffer header, int pos, int size, long ts,
                                           long logStart) throws IOException {
        long base = header.getLong(Batches.BASE_OFFSET);
        long maxTs = header.getLong(Batches.MAX_TIMESTAMP);
        int epoch = header.getInt(Batches.PARTITION_LEADER_EPOCH);
        short attributes = header.getShort(Batches.ATTRIBUTES);
        long batchAnswer = Math.max(base, logStart);
        if ((attributes & Batches.TIMESTAMP_TYPE_BIT) != 0 || (attributes & Batches.COMPRESSION_MASK) != 0) {
            // LogAppendTime: every record has the max timestamp. Compressed: not decompressed here.
            return new Results.TimestampAndOffset(maxTs, batchAnswer, epoch);
        }
        ByteBuffer b = ByteBuffer.allocate(size);
        seg.readFully(b, pos);
        long baseTs = header.getLong(Batches.BASE_TIMESTAMP);
        int count = header.getInt(Batches.RECORD_COUNT);
        int[] p = {Batches.HEADER_SIZE};
        try {
            for (int i = 0; i < count; i++) {
                long length = Varints.readVarlong(b, p, size);
                int recordStart = p[0];
                if (length < 0 || recordStart + length > size) {
                    break;
                }
                p[0] = recordStart + 1; // attributes
                long recordTs = baseTs + Varints.readVarlong(b, p, size);
                long offset = base + Varints.readVarlong(b, p, size);
                if (recordTs >= ts && offset >= logStart) {
                    return new Results.TimestampAndOffset(recordTs, offset, epoch);
                }
                p[0] = recordStart + (int) length;
            }
        } catch (IllegalArgumentException malformed) {
            // fall back to the batch
        }
        return new Results.TimestampAndOffset(maxTs, batchAnswer, epoch);
    }
}
