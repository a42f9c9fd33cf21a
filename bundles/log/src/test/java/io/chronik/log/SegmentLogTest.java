package io.chronik.log;

import static io.chronik.log.TestBatches.batch;
import static io.chronik.log.TestBatches.concat;
import static io.chronik.log.TestBatches.idempotent;
import static io.chronik.log.TestBatches.parse;
import static io.chronik.log.TestBatches.records;
import static io.chronik.log.TestBatches.string;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.CompressionType;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.MemoryRecordsBuilder;
import org.apache.kafka.common.record.MutableRecordBatch;
import org.apache.kafka.common.record.Record;
import org.apache.kafka.common.record.RecordBatch;
import org.apache.kafka.common.record.TimestampType;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import io.chronik.api.consensus.ConsensusException;
import io.chronik.api.consensus.ConsensusException.Reason;
import io.chronik.api.consensus.PartitionLog.EpochEndOffset;
import io.chronik.api.consensus.PartitionLog.TimestampOffset;

public class SegmentLogTest {
    private static final long NOW = 1_700_000_000_000L;

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private Path dir;
    private SegmentLog log;

    @Before
    public void setUp() throws IOException {
        dir = tmp.getRoot().toPath().resolve("topic-0");
    }

    @After
    public void tearDown() {
        if (log != null) {
            log.close();
        }
    }

    private static LogConfig config(String... kv) throws ConsensusException {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return LogConfig.of(m);
    }

    private SegmentLog open(String... kv) throws Exception {
        log = SegmentLog.open(dir, config(kv));
        return log;
    }

    private SegmentLog reopen(boolean truncate, String... kv) throws Exception {
        log.close();
        log = SegmentLog.open(dir, config(kv), truncate);
        return log;
    }

    private static void expect(Reason reason, ThrowingRunnable r) {
        try {
            r.run();
            fail("expected " + reason);
        } catch (ConsensusException e) {
            assertEquals(e.getMessage(), reason, e.reason());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    private List<Record> readAll(long from) throws ConsensusException {
        return records(log.read(from, Integer.MAX_VALUE, Long.MAX_VALUE));
    }

    @Test
    public void appendAndReadRoundTripUncompressedAndGzip() throws Exception {
        open();
        ByteBuffer a = batch(NOW, "a0", "a1", "a2");
        ByteBuffer g = batch(Compression.gzip().build(), NOW + 10, "g0", "g1");
        ByteBuffer input = concat(5, a, g);
        int position = input.position();
        byte[] before = new byte[input.remaining()];
        input.duplicate().get(before);

        AppendInfo info = log.append(input, 7, NOW);
        assertEquals(0, info.baseOffset());
        assertEquals(4, info.lastOffset());
        assertEquals(5, info.recordCount());
        assertEquals(-1, info.logAppendTime());
        assertFalse(info.duplicate());
        assertEquals(position, input.position());
        byte[] after = new byte[input.remaining()];
        input.duplicate().get(after);
        assertArrayEquals("the caller's buffer is not modified", before, after);

        AppendInfo second = log.append(batch(Compression.gzip().build(), NOW + 20, "x0"), 7, NOW);
        assertEquals(5, second.baseOffset());
        assertEquals(6, log.logEndOffset());

        ByteBuffer out = log.read(0, Integer.MAX_VALUE, Long.MAX_VALUE);
        List<MutableRecordBatch> batches = parse(out);
        assertEquals(3, batches.size());
        assertEquals(0, batches.get(0).baseOffset());
        assertEquals(2, batches.get(0).lastOffset());
        assertEquals(CompressionType.NONE, batches.get(0).compressionType());
        assertEquals(3, batches.get(1).baseOffset());
        assertEquals(CompressionType.GZIP, batches.get(1).compressionType());
        assertEquals(5, batches.get(2).baseOffset());
        for (MutableRecordBatch b : batches) {
            assertEquals(7, b.partitionLeaderEpoch());
            assertTrue(b.isValid());
        }
        List<Record> recs = records(out);
        String[] values = {"a0", "a1", "a2", "g0", "g1", "x0"};
        long[] timestamps = {NOW, NOW + 1, NOW + 2, NOW + 10, NOW + 11, NOW + 20};
        assertEquals(6, recs.size());
        for (int i = 0; i < 6; i++) {
            Record r = recs.get(i);
            assertEquals(i, r.offset());
            assertEquals(values[i], string(r.value()));
            assertEquals("k-" + values[i], string(r.key()));
            assertEquals(timestamps[i], r.timestamp());
            assertEquals("h", r.headers()[0].key());
        }
        // reading from an offset inside a batch returns that whole batch
        List<MutableRecordBatch> fromMiddle = parse(log.read(4, 1, Long.MAX_VALUE));
        assertEquals(1, fromMiddle.size());
        assertEquals(3, fromMiddle.get(0).baseOffset());
        assertEquals(7, log.epochForOffset(3));
    }

    @Test
    public void badInputIsRejectedAndNothingWritten() throws Exception {
        open();
        log.append(batch(NOW, "ok"), 1, NOW);
        long size = log.sizeInBytes();

        ByteBuffer good = batch(NOW, "good");
        ByteBuffer corrupt = batch(NOW, "bad1", "bad2");
        corrupt.put(corrupt.limit() - 2, (byte) (corrupt.get(corrupt.limit() - 2) ^ 0x55));
        expect(Reason.CORRUPT_RECORD, () -> log.append(concat(0, good, corrupt), 1, NOW));

        ByteBuffer truncated = batch(NOW, "t");
        truncated.limit(truncated.limit() - 3);
        expect(Reason.CORRUPT_RECORD, () -> log.append(concat(0, good, truncated), 1, NOW));
        expect(Reason.CORRUPT_RECORD, () -> log.append(ByteBuffer.wrap(new byte[30]), 1, NOW));
        byte[] garbage = new byte[200];
        new java.util.Random(1).nextBytes(garbage);
        expect(Reason.CORRUPT_RECORD, () -> log.append(ByteBuffer.wrap(garbage), 1, NOW));
        ByteBuffer magic1 = batch(NOW, "m");
        magic1.put(16, (byte) 1);
        expect(Reason.CORRUPT_RECORD, () -> log.append(magic1, 1, NOW));
        expect(Reason.INVALID_REQUEST, () -> log.append(ByteBuffer.allocate(0), 1, NOW));
        expect(Reason.INVALID_REQUEST, () -> log.append(null, 1, NOW));

        // transactional batches are not supported
        MemoryRecordsBuilder tb = MemoryRecords.builder(ByteBuffer.allocate(512), RecordBatch.MAGIC_VALUE_V2,
                Compression.NONE, TimestampType.CREATE_TIME, 0L, NOW, 9L, (short) 0, 0, true, 0);
        tb.append(NOW, null, "t".getBytes(StandardCharsets.UTF_8));
        expect(Reason.INVALID_REQUEST, () -> log.append(tb.build().buffer(), 1, NOW));

        // timestamps outside the CreateTime bounds
        expect(Reason.INVALID_TIMESTAMP, () -> log.append(batch(NOW + 3_600_001, "future"), 1, NOW));

        assertEquals(1, log.logEndOffset());
        assertEquals(size, log.sizeInBytes());
        assertEquals(1, records(log.read(0, 1 << 20, Long.MAX_VALUE)).size());
    }

    @Test
    public void oversizeBatchIsRejected() throws Exception {
        open("max.message.bytes", "200");
        ByteBuffer big = batch(NOW, "x".repeat(300));
        expect(Reason.RECORD_TOO_LARGE, () -> log.append(big, 0, NOW));
        assertEquals(0, log.logEndOffset());
        assertEquals(0, log.append(batch(NOW, "small"), 0, NOW).baseOffset());
    }

    @Test
    public void offsetsContinueAcrossSegmentsAndReadLimits() throws Exception {
        open("segment.bytes", "300", "index.interval.bytes", "0");
        int batchSize = batch(NOW, "v00").remaining();
        for (int i = 0; i < 30; i++) {
            AppendInfo info = log.append(batch(NOW + i, "v" + (i < 10 ? "0" + i : "" + i), "w"), 0, NOW);
            assertEquals(2L * i, info.baseOffset());
        }
        assertEquals(60, log.logEndOffset());
        assertTrue(log.segmentCount() > 5);
        // every offset reads back from the batch containing it, across segment boundaries
        for (long off = 0; off < 60; off++) {
            List<MutableRecordBatch> bs = parse(log.read(off, 1, Long.MAX_VALUE));
            assertEquals(1, bs.size());
            assertEquals(off - off % 2, bs.get(0).baseOffset());
        }
        List<Record> all = readAll(0);
        assertEquals(60, all.size());
        for (int i = 0; i < 60; i++) {
            assertEquals(i, all.get(i).offset());
        }
        int twoBatches = parse(log.read(0, 1, Long.MAX_VALUE)).get(0).sizeInBytes() * 2;
        assertTrue(batchSize > 0);
        assertEquals(2, parse(log.read(0, twoBatches, Long.MAX_VALUE)).size());
        assertEquals(1, parse(log.read(0, twoBatches - 1, Long.MAX_VALUE)).size());
        assertEquals(1, parse(log.read(0, 0, Long.MAX_VALUE)).size());
        // maxOffsetExclusive
        List<MutableRecordBatch> bounded = parse(log.read(10, Integer.MAX_VALUE, 17));
        assertEquals(10, bounded.get(0).baseOffset());
        assertEquals(16, bounded.get(bounded.size() - 1).baseOffset());
        assertEquals(0, log.read(60, 100, Long.MAX_VALUE).remaining());
        assertEquals(0, log.read(17, 100, 17).remaining());
        expect(Reason.OFFSET_OUT_OF_RANGE, () -> log.read(61, 100, Long.MAX_VALUE));
        expect(Reason.OFFSET_OUT_OF_RANGE, () -> log.read(-1, 100, Long.MAX_VALUE));
    }

    @Test
    public void idempotentProducers() throws Exception {
        open();
        long pid = 42;
        AppendInfo first = log.append(idempotent(pid, (short) 0, 0, NOW, "a", "b", "c"), 0, NOW);
        assertEquals(0, first.baseOffset());
        log.append(batch(NOW, "other"), 0, NOW);
        AppendInfo dup = log.append(idempotent(pid, (short) 0, 0, NOW, "a", "b", "c"), 0, NOW + 5);
        assertTrue(dup.duplicate());
        assertEquals(0, dup.baseOffset());
        assertEquals(2, dup.lastOffset());
        assertEquals(4, log.logEndOffset());

        expect(Reason.OUT_OF_ORDER_SEQUENCE, () -> log.append(idempotent(pid, (short) 0, 5, NOW, "gap"), 0, NOW));
        AppendInfo next = log.append(idempotent(pid, (short) 0, 3, NOW, "d"), 0, NOW);
        assertEquals(4, next.baseOffset());
        expect(Reason.OUT_OF_ORDER_SEQUENCE, () -> log.append(idempotent(7L, (short) 0, 3, NOW, "u"), 0, NOW));
        expect(Reason.OUT_OF_ORDER_SEQUENCE, () -> log.append(idempotent(pid, (short) 1, 4, NOW, "e"), 0, NOW));
        AppendInfo bumped = log.append(idempotent(pid, (short) 1, 0, NOW, "e"), 0, NOW);
        assertEquals(5, bumped.baseOffset());
        expect(Reason.INVALID_PRODUCER_EPOCH, () -> log.append(idempotent(pid, (short) 0, 4, NOW, "old"), 0, NOW));
        // a duplicate of an older batch of the same epoch (within the last five) is still recognised
        log.append(idempotent(pid, (short) 1, 1, NOW, "f"), 0, NOW);
        AppendInfo dupOld = log.append(idempotent(pid, (short) 1, 0, NOW, "e"), 0, NOW);
        assertTrue(dupOld.duplicate());
        assertEquals(5, dupOld.baseOffset());
        // two batches of one producer in one call, the second following the first
        AppendInfo two = log.append(concat(0, idempotent(pid, (short) 1, 2, NOW, "g"),
                idempotent(pid, (short) 1, 3, NOW, "h")), 0, NOW);
        assertEquals(7, two.baseOffset());
        assertEquals(8, two.lastOffset());
        // a call failing on its second batch leaves the producer state untouched
        expect(Reason.OUT_OF_ORDER_SEQUENCE, () -> log.append(concat(0, idempotent(pid, (short) 1, 4, NOW, "i"),
                idempotent(pid, (short) 1, 9, NOW, "j")), 0, NOW));
        assertEquals(9, log.append(idempotent(pid, (short) 1, 4, NOW, "i"), 0, NOW).baseOffset());
        assertEquals(10, log.logEndOffset());
        assertEquals(10, readAll(0).size());
    }

    @Test
    public void logAppendTimeRewritesTimestampAndCrc() throws Exception {
        open("message.timestamp.type", "LogAppendTime");
        long appendTime = NOW + 12345;
        AppendInfo info = log.append(concat(3, batch(NOW - 10_000_000_000L, "a", "b"),
                batch(Compression.gzip().build(), 1L, "c")), 3, appendTime);
        assertEquals(appendTime, info.logAppendTime());
        ByteBuffer out = log.read(0, 1 << 20, Long.MAX_VALUE);
        List<MutableRecordBatch> bs = parse(out);
        assertEquals(2, bs.size());
        for (MutableRecordBatch b : bs) {
            b.ensureValid();
            assertEquals(TimestampType.LOG_APPEND_TIME, b.timestampType());
            assertEquals(appendTime, b.maxTimestamp());
            for (Record r : b) {
                assertEquals(appendTime, r.timestamp());
            }
        }
        assertEquals(3, records(out).size());
        TimestampOffset max = log.offsetForTimestamp(-3);
        assertEquals(appendTime, max.timestamp());
        TimestampOffset t = log.offsetForTimestamp(appendTime);
        assertEquals(0, t.offset());
        assertEquals(3, t.leaderEpoch());
    }

    @Test
    public void offsetForTimestamp() throws Exception {
        open("segment.bytes", "250", "index.interval.bytes", "0");
        log.append(batch(1000, "a", "b", "c"), 1, 1000);                                   // 0..2 ts 1000..1002
        log.append(batch(Compression.gzip().build(), 2000, "d", "e"), 1, 2000);          // 3..4 ts 2000..2001
        log.append(batch(3000, "f", "g", "h"), 2, 3000);                                   // 5..7 ts 3000..3002
        log.append(batch(2500, "i"), 2, 3000);                                             // 8    ts 2500
        assertTrue(log.segmentCount() > 1);

        TimestampOffset latest = log.offsetForTimestamp(-1);
        assertEquals(9, latest.offset());
        assertEquals(-1, latest.timestamp());
        assertEquals(2, latest.leaderEpoch());
        TimestampOffset earliest = log.offsetForTimestamp(-2);
        assertEquals(0, earliest.offset());
        assertEquals(1, earliest.leaderEpoch());
        TimestampOffset max = log.offsetForTimestamp(-3);
        assertEquals(3002, max.timestamp());
        assertEquals(7, max.offset());

        assertEquals(0, log.offsetForTimestamp(0).offset());
        TimestampOffset exact = log.offsetForTimestamp(1001);
        assertEquals(1, exact.offset());
        assertEquals(1001, exact.timestamp());
        TimestampOffset compressed = log.offsetForTimestamp(1500);
        assertEquals(3, compressed.offset());
        TimestampOffset inLater = log.offsetForTimestamp(3001);
        assertEquals(6, inLater.offset());
        assertEquals(3001, inLater.timestamp());
        assertEquals(2, inLater.leaderEpoch());
        assertNull(log.offsetForTimestamp(3003));
        expect(Reason.INVALID_REQUEST, () -> log.offsetForTimestamp(-7));

        // the same answers after a reopen (indexes loaded from files)
        log.checkpoint(4, 2);
        reopen(true, "segment.bytes", "250", "index.interval.bytes", "0");
        assertEquals(6, log.offsetForTimestamp(3001).offset());
        assertEquals(7, log.offsetForTimestamp(-3).offset());
        assertEquals(3, log.offsetForTimestamp(1500).offset());
    }

    @Test
    public void endOffsetForLeaderEpoch() throws Exception {
        open();
        assertNull(log.endOffsetForLeaderEpoch(0));
        log.append(batch(NOW, "a", "b"), 1, NOW);   // epoch 1 at 0
        log.append(batch(NOW, "c"), 1, NOW);
        log.append(batch(NOW, "d"), 3, NOW);        // epoch 3 at 3
        log.append(batch(NOW, "e", "f"), 5, NOW);   // epoch 5 at 4
        assertNull(log.endOffsetForLeaderEpoch(0));
        check(log.endOffsetForLeaderEpoch(1), 1, 3);
        check(log.endOffsetForLeaderEpoch(2), 1, 3);
        check(log.endOffsetForLeaderEpoch(3), 3, 4);
        check(log.endOffsetForLeaderEpoch(5), 5, 6);
        check(log.endOffsetForLeaderEpoch(9), 5, 6);
        // an older epoch is ignored by the cache (logged), offsets still advance
        log.append(batch(NOW, "g"), 4, NOW);
        check(log.endOffsetForLeaderEpoch(5), 5, 7);
        List<MutableRecordBatch> bs = parse(log.read(0, 1 << 20, Long.MAX_VALUE));
        assertEquals(1, bs.get(0).partitionLeaderEpoch());
        assertEquals(5, bs.get(3).partitionLeaderEpoch());
    }

    private static void check(EpochEndOffset e, int epoch, long end) {
        assertNotNull(e);
        assertEquals(epoch, e.leaderEpoch());
        assertEquals(end, e.endOffset());
    }

    @Test
    public void deleteRecordsBefore() throws Exception {
        open("segment.bytes", "200");
        for (int i = 0; i < 20; i++) {
            log.append(batch(NOW, "v" + i), i / 5, NOW);
        }
        int segmentsBefore = log.segmentCount();
        assertTrue(segmentsBefore > 3);
        assertEquals(7, log.deleteRecordsBefore(7));
        assertEquals(7, log.logStartOffset());
        assertTrue(log.segmentCount() < segmentsBefore);
        expect(Reason.OFFSET_OUT_OF_RANGE, () -> log.read(6, 100, Long.MAX_VALUE));
        assertEquals(7, parse(log.read(7, 1, Long.MAX_VALUE)).get(0).baseOffset());
        assertEquals(7, log.offsetForTimestamp(-2).offset());
        assertEquals(1, log.offsetForTimestamp(-2).leaderEpoch());
        assertNull(log.endOffsetForLeaderEpoch(0));
        assertEquals(7, log.deleteRecordsBefore(3)); // below: no-op
        expect(Reason.OFFSET_OUT_OF_RANGE, () -> log.deleteRecordsBefore(21));
        log.checkpoint(1, 1);
        assertEquals(12, log.deleteRecordsBefore(12)); // after the checkpoint: persisted in log-start-offset
        reopen(true, "segment.bytes", "200");
        assertEquals(12, log.logStartOffset());
        assertEquals(20, log.logEndOffset());
        assertEquals(8, readAll(12).size());
        // everything
        assertEquals(20, log.deleteRecordsBefore(20));
        assertEquals(0, log.read(20, 100, Long.MAX_VALUE).remaining());
        assertEquals(20, log.append(batch(NOW, "after"), 9, NOW).baseOffset());
    }

    @Test
    public void retentionByBytesAndTime() throws Exception {
        open("segment.bytes", "200", "retention.bytes", "500");
        for (int i = 0; i < 20; i++) {
            log.append(batch(NOW + i * 1000L, "v" + i), 0, NOW + i * 1000L);
        }
        long total = log.sizeInBytes();
        int segs = log.segmentCount();
        List<Path> deleted = log.applyRetention(NOW);
        assertFalse(deleted.isEmpty());
        assertTrue(log.sizeInBytes() >= 500);
        assertTrue(log.sizeInBytes() < total);
        assertTrue(log.segmentCount() < segs);
        for (Path p : deleted) {
            assertFalse(Files.exists(p));
        }
        long lso = log.logStartOffset();
        assertTrue(lso > 0);
        expect(Reason.OFFSET_OUT_OF_RANGE, () -> log.read(lso - 1, 100, Long.MAX_VALUE));
        assertEquals(lso, parse(log.read(lso, 1, Long.MAX_VALUE)).get(0).baseOffset());
        assertTrue(log.applyRetention(NOW).isEmpty());

        // by time: retention.ms 5000 at now = last timestamp + 1000 leaves the segments with recent data
        log.updateConfig(config("segment.bytes", "200", "retention.ms", "5000"));
        long now = NOW + 20_000;
        log.applyRetention(now);
        assertTrue(log.logStartOffset() > lso);
        TimestampOffset first = log.offsetForTimestamp(0);
        assertTrue(now - first.timestamp() <= 5000 + 3000);
        // the active segment is never deleted
        log.applyRetention(now + 1_000_000);
        assertEquals(1, log.segmentCount());
        assertEquals(20, log.logEndOffset());
    }

    @Test
    public void rollBySegmentMs() throws Exception {
        open("segment.ms", "1000");
        log.append(batch(NOW, "a"), 0, NOW);
        log.append(batch(NOW, "b"), 0, NOW + 500);
        assertEquals(1, log.segmentCount());
        log.append(batch(NOW, "c"), 0, NOW + 1001);
        assertEquals(2, log.segmentCount());
        log.append(batch(NOW, "d"), 0, NOW + 1500);
        assertEquals(2, log.segmentCount());
        assertEquals(4, readAll(0).size());
        assertTrue(Files.exists(dir.resolve("00000000000000000002.log")));
    }

    @Test
    public void checkpointAndReopenTruncatesToCheckpoint() throws Exception {
        open("segment.bytes", "300");
        log.append(idempotent(5L, (short) 0, 0, NOW, "a"), 1, NOW);
        log.append(batch(NOW, "b", "c"), 1, NOW);
        log.append(idempotent(5L, (short) 0, 1, NOW, "d"), 2, NOW);
        log.checkpoint(17, 2);
        assertEquals(new Checkpoint(17, 2, 4), log.lastCheckpoint());
        for (int i = 0; i < 10; i++) {
            log.append(batch(NOW, "after" + i), 3, NOW);
        }
        AppendInfo lost = log.append(idempotent(5L, (short) 0, 2, NOW, "e"), 3, NOW);
        assertEquals(14, lost.baseOffset());
        assertTrue(log.segmentCount() > 1);

        reopen(true, "segment.bytes", "300");
        assertEquals(new Checkpoint(17, 2, 4), log.lastCheckpoint());
        assertEquals(4, log.logEndOffset());
        assertEquals(4, readAll(0).size());
        assertNull(log.endOffsetForLeaderEpoch(0));
        check(log.endOffsetForLeaderEpoch(3), 2, 4);
        // producer state restored: a retry of a pre-checkpoint batch is a duplicate with its original offset
        AppendInfo dup = log.append(idempotent(5L, (short) 0, 1, NOW, "d"), 3, NOW);
        assertTrue(dup.duplicate());
        assertEquals(3, dup.baseOffset());
        // re-applying the entries after the checkpoint gives the same offsets
        for (int i = 0; i < 10; i++) {
            log.append(batch(NOW, "after" + i), 3, NOW);
        }
        assertEquals(14, log.append(idempotent(5L, (short) 0, 2, NOW, "e"), 3, NOW).baseOffset());
        assertEquals(15, readAll(0).size());
    }

    @Test
    public void neverCheckpointedLogOpensEmpty() throws Exception {
        open();
        log.append(batch(NOW, "a"), 0, NOW);
        assertEquals(-1, log.lastCheckpoint().appliedIndex());
        reopen(true);
        assertEquals(0, log.logEndOffset());
        assertEquals(0, log.sizeInBytes());
        assertEquals(0, log.append(batch(NOW, "a"), 0, NOW).baseOffset());
    }

    @Test
    public void tornTailIsCutOnOpen() throws Exception {
        open();
        log.append(batch(NOW, "a", "b"), 0, NOW);
        log.append(batch(NOW, "c"), 0, NOW);
        log.checkpoint(1, 0);
        log.append(batch(NOW, "d"), 0, NOW);
        log.append(batch(NOW, "e"), 0, NOW);
        log.flush();
        Path file = dir.resolve("00000000000000000000.log");
        long fullSize = Files.size(file);
        log.close();

        // garbage after the last batch
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ch.write(ByteBuffer.wrap(new byte[] {0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 1, 0, 9, 9}));
        }
        log = SegmentLog.open(dir, config(), false);
        assertEquals(5, log.logEndOffset());
        assertEquals(fullSize, Files.size(file));
        assertEquals(5, readAll(0).size());
        log.close();

        // the last batch cut in half
        int last = batch(NOW, "e").remaining();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(fullSize - last / 2);
        }
        log = SegmentLog.open(dir, config(), false);
        assertEquals(4, log.logEndOffset());
        assertEquals(4, readAll(0).size());
        assertEquals(4, log.append(batch(NOW, "e2"), 0, NOW).baseOffset());
        log.flush();
        log.close();

        // a flipped byte in the batch after the checkpoint: its CRC fails, it is cut
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long pos = ch.size() - 2;
            ByteBuffer one = ByteBuffer.allocate(1);
            ch.read(one, pos);
            one.put(0, (byte) (one.get(0) ^ 0x7F));
            one.clear();
            ch.write(one, pos);
        }
        log = SegmentLog.open(dir, config(), false);
        assertEquals(4, log.logEndOffset());
        // and the truncating open goes back to the checkpoint
        reopen(true);
        assertEquals(3, log.logEndOffset());
    }

    @Test
    public void damagedCheckpointedDataFailsTheOpen() throws Exception {
        open();
        log.append(batch(NOW, "a"), 0, NOW);
        log.append(batch(NOW, "b"), 0, NOW);
        log.checkpoint(3, 1);
        log.close();
        Path file = dir.resolve("00000000000000000000.log");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(Files.size(file) - 5);
        }
        try {
            log = SegmentLog.open(dir, config());
            fail("opened a log missing checkpointed data");
        } catch (IOException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("checkpoint"));
            log = null;
        }
        // a damaged checkpoint file is reported, not ignored
        Files.write(dir.resolve(SegmentLog.CHECKPOINT_FILE), new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13});
        try {
            SegmentLog.open(dir, config()).close();
            fail("opened with a damaged checkpoint");
        } catch (IOException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("damaged"));
        }
    }

    @Test
    public void missingIndexesAreRebuilt() throws Exception {
        open("segment.bytes", "400", "index.interval.bytes", "0");
        for (int i = 0; i < 20; i++) {
            log.append(batch(NOW + i * 10L, "v" + i, "w" + i), 0, NOW);
        }
        log.checkpoint(20, 1);
        assertTrue(log.segmentCount() > 2);
        log.close();
        List<Path> indexes;
        try (Stream<Path> s = Files.list(dir)) {
            indexes = s.filter(p -> p.toString().endsWith(".index") || p.toString().endsWith(".timeindex"))
                    .collect(Collectors.toList());
        }
        assertTrue(indexes.size() > 4);
        Path first = dir.resolve("00000000000000000000.index");
        assertTrue(Files.size(first) > 0);
        for (Path p : indexes) {
            Files.delete(p);
        }
        // a damaged index (not a whole number of entries) is rebuilt too
        Files.write(dir.resolve("00000000000000000000.index"), new byte[] {1, 2, 3});
        open("segment.bytes", "400", "index.interval.bytes", "0");
        assertTrue(Files.size(first) > 0 && Files.size(first) % 8 == 0);
        assertTrue(Files.exists(dir.resolve("00000000000000000000.timeindex")));
        assertEquals(40, log.logEndOffset());
        for (long off = 0; off < 40; off++) {
            assertEquals(off - off % 2, parse(log.read(off, 1, Long.MAX_VALUE)).get(0).baseOffset());
        }
        assertEquals(10, log.offsetForTimestamp(NOW + 50).offset());
        assertEquals(39, log.offsetForTimestamp(-3).offset());
    }

    @Test
    public void concurrentReadersSeeOnlyCompleteBatches() throws Exception {
        open("segment.bytes", "4000", "index.interval.bytes", "100");
        int total = 1500;
        AtomicReference<Throwable> error = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            try {
                for (int i = 0; i < total; i++) {
                    log.append(batch(NOW + i, "value-" + i, "second-" + i), 0, NOW);
                }
            } catch (Throwable t) {
                error.set(t);
            }
        });
        Thread[] readers = new Thread[2];
        for (int r = 0; r < readers.length; r++) {
            readers[r] = new Thread(() -> {
                java.util.Random rnd = new java.util.Random();
                try {
                    while (log.logEndOffset() < 2L * total && error.get() == null) {
                        long end = log.logEndOffset();
                        long from = end == 0 ? 0 : rnd.nextInt((int) end);
                        ByteBuffer buf = log.read(from, 2000, Long.MAX_VALUE);
                        long expect = -1;
                        for (MutableRecordBatch b : parse(buf)) {
                            if (expect >= 0) {
                                assertEquals(expect, b.baseOffset());
                            }
                            for (Record rec : b) {
                                String v = string(rec.value());
                                long idx = rec.offset() / 2;
                                assertEquals((rec.offset() % 2 == 0 ? "value-" : "second-") + idx, v);
                            }
                            expect = b.lastOffset() + 1;
                        }
                        if (from < end) {
                            assertTrue(buf.remaining() > 0);
                        }
                    }
                } catch (Throwable t) {
                    error.compareAndSet(null, t);
                }
            });
        }
        writer.start();
        for (Thread t : readers) {
            t.start();
        }
        writer.join();
        for (Thread t : readers) {
            t.join();
        }
        if (error.get() != null) {
            throw new AssertionError(error.get());
        }
        assertEquals(2L * total, log.logEndOffset());
        assertTrue(log.segmentCount() > 10);
    }

    @Test
    public void deleteRemovesTheDirectory() throws Exception {
        open();
        log.append(batch(NOW, "a"), 0, NOW);
        log.checkpoint(0, 0);
        log.delete();
        assertFalse(Files.exists(dir));
        expect(Reason.STORAGE, () -> log.append(batch(NOW, "b"), 0, NOW));
        expect(Reason.STORAGE, () -> log.read(0, 10, Long.MAX_VALUE));
        log = null;
    }
}
