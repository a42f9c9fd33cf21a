package io.chronik.testing;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.Record;
import org.apache.kafka.common.record.RecordBatch;
import org.apache.kafka.common.record.SimpleRecord;
import org.apache.kafka.common.record.TimestampType;

/**
 * Kafka v2 record batches for tests, built and taken apart with kafka-clients (which each user of this jar has on
 * its test class path). Every method returns a new heap buffer owned by the caller.
 */
public final class Batches {
    private Batches() {
    }

    /** One uncompressed batch of {@code values}, timestamped now, base offset 0. */
    public static ByteBuffer of(String... values) {
        long now = System.currentTimeMillis();
        long[] timestamps = new long[values.length];
        Arrays.fill(timestamps, now);
        return withTimestamps(timestamps, values);
    }

    /** One uncompressed batch of {@code values} with the given record timestamps (CreateTime). */
    public static ByteBuffer withTimestamps(long[] timestamps, String... values) {
        return MemoryRecords.withRecords(Compression.NONE, records(timestamps, values)).buffer();
    }

    /** One uncompressed idempotent batch of {@code values}. */
    public static ByteBuffer idempotent(long producerId, short epoch, int baseSequence, String... values) {
        long now = System.currentTimeMillis();
        long[] timestamps = new long[values.length];
        Arrays.fill(timestamps, now);
        return MemoryRecords.withIdempotentRecords(Compression.NONE, producerId, epoch, baseSequence,
                records(timestamps, values)).buffer();
    }

    private static SimpleRecord[] records(long[] timestamps, String... values) {
        SimpleRecord[] records = new SimpleRecord[values.length];
        for (int i = 0; i < values.length; i++) {
            records[i] = new SimpleRecord(timestamps[i], null, values[i].getBytes(StandardCharsets.UTF_8));
        }
        return records;
    }

    /** The batches one after the other in one buffer. */
    public static ByteBuffer concat(ByteBuffer... batches) {
        int size = 0;
        for (ByteBuffer b : batches) {
            size += b.remaining();
        }
        ByteBuffer all = ByteBuffer.allocate(size);
        for (ByteBuffer b : batches) {
            all.put(b.duplicate());
        }
        return all.flip();
    }

    /** Each record in {@code read} as {@code offset:value} (the buffer is not consumed). */
    public static List<String> values(ByteBuffer read) {
        List<String> out = new ArrayList<>();
        for (RecordBatch b : MemoryRecords.readableRecords(read.duplicate()).batches()) {
            for (Record r : b) {
                out.add(r.offset() + ":" + StandardCharsets.UTF_8.decode(r.value()));
            }
        }
        return out;
    }

    /** The base offset of each batch in {@code read}. */
    public static List<Long> baseOffsets(ByteBuffer read) {
        List<Long> out = new ArrayList<>();
        for (RecordBatch b : MemoryRecords.readableRecords(read.duplicate()).batches()) {
            out.add(b.baseOffset());
        }
        return out;
    }

    /** The max timestamp of each batch in {@code read} if it is a LogAppendTime batch, else -1. */
    public static List<Long> logAppendTimes(ByteBuffer read) {
        List<Long> out = new ArrayList<>();
        for (RecordBatch b : MemoryRecords.readableRecords(read.duplicate()).batches()) {
            out.add(b.timestampType() == TimestampType.LOG_APPEND_TIME ? b.maxTimestamp() : -1L);
        }
        return out;
    }

    /** The partition leader epoch of each batch in {@code read}. */
    public static List<Integer> leaderEpochs(ByteBuffer read) {
        List<Integer> out = new ArrayList<>();
        for (RecordBatch b : MemoryRecords.readableRecords(read.duplicate()).batches()) {
            out.add(b.partitionLeaderEpoch());
        }
        return out;
    }
}
