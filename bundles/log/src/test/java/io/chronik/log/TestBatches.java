package io.chronik.log;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.MemoryRecordsBuilder;
import org.apache.kafka.common.record.MutableRecordBatch;
import org.apache.kafka.common.record.Record;
import org.apache.kafka.common.record.RecordBatch;
import org.apache.kafka.common.record.TimestampType;

/** Test helper: batches built and parsed with kafka-clients. */
final class TestBatches {
    private TestBatches() {
    }

    static ByteBuffer batch(Compression compression, long firstTimestamp, String... values) {
        return idempotent(compression, RecordBatch.NO_PRODUCER_ID, RecordBatch.NO_PRODUCER_EPOCH,
                RecordBatch.NO_SEQUENCE, firstTimestamp, values);
    }

    static ByteBuffer batch(long firstTimestamp, String... values) {
        return batch(Compression.NONE, firstTimestamp, values);
    }

    static ByteBuffer idempotent(long pid, short epoch, int seq, long firstTimestamp, String... values) {
        return idempotent(Compression.NONE, pid, epoch, seq, firstTimestamp, values);
    }

    static ByteBuffer idempotent(Compression compression, long pid, short epoch, int seq, long firstTimestamp,
                                 String... values) {
        MemoryRecordsBuilder b = MemoryRecords.builder(ByteBuffer.allocate(1024 + values.length * 64),
                RecordBatch.MAGIC_VALUE_V2, compression, TimestampType.CREATE_TIME, 0L,
                RecordBatch.NO_TIMESTAMP, pid, epoch, seq);
        for (int i = 0; i < values.length; i++) {
            Header[] headers = {new RecordHeader("h", ("hv" + i).getBytes(StandardCharsets.UTF_8))};
            b.append(firstTimestamp + i, ("k-" + values[i]).getBytes(StandardCharsets.UTF_8),
                    values[i].getBytes(StandardCharsets.UTF_8), headers);
        }
        return b.build().buffer();
    }

    /** Concatenates buffers into one, starting at {@code pad} bytes into a bigger buffer (position pad). */
    static ByteBuffer concat(int pad, ByteBuffer... parts) {
        int n = 0;
        for (ByteBuffer p : parts) {
            n += p.remaining();
        }
        ByteBuffer b = ByteBuffer.allocate(pad + n + 7);
        b.position(pad);
        for (ByteBuffer p : parts) {
            b.put(p.duplicate());
        }
        b.limit(b.position()).position(pad);
        return b;
    }

    static List<MutableRecordBatch> parse(ByteBuffer buf) {
        List<MutableRecordBatch> out = new ArrayList<>();
        for (MutableRecordBatch batch : MemoryRecords.readableRecords(buf.duplicate()).batches()) {
            batch.ensureValid();
            out.add(batch);
        }
        return out;
    }

    static List<Record> records(ByteBuffer buf) {
        List<Record> out = new ArrayList<>();
        for (MutableRecordBatch batch : parse(buf)) {
            for (Record r : batch) {
                out.add(r);
            }
        }
        return out;
    }

    static String string(ByteBuffer b) {
        byte[] bytes = new byte[b.remaining()];
        b.duplicate().get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
