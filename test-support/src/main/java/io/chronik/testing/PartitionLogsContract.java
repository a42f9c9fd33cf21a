package io.chronik.testing;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.junit.Assume.assumeTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TestName;

import io.chronik.api.consensus.ConsensusException;
import io.chronik.api.consensus.ConsensusException.Reason;
import io.chronik.api.consensus.PartitionLog;
import io.chronik.api.consensus.PartitionLog.AppendResult;
import io.chronik.api.consensus.PartitionLog.EpochEndOffset;
import io.chronik.api.consensus.PartitionLog.TimestampOffset;
import io.chronik.api.consensus.PartitionLogs;

/**
 * The {@link PartitionLogs} and {@link PartitionLog} contract as their Javadoc states it, checked for every provider:
 * the Ratis provider and the protocol bundle's in-memory test fake each run it through a subclass, so that the fake
 * cannot drift from the real thing (as {@code CodecContractTest} does for the compression codecs).
 *
 * <p>A subclass starts one provider for the class (single node: this node leads every partition) and implements the
 * topic hooks; each test uses its own topic, named after the test.
 */
public abstract class PartitionLogsContract {
    private static final long WAIT_SECONDS = 30;

    @Rule
    public final TestName testName = new TestName();

    /** The provider under test. */
    protected abstract PartitionLogs logs();

    /** Creates a topic and returns once this node leads each of its partitions and accepts appends. */
    protected abstract void createTopic(String topic, int partitions, Map<String, String> configs) throws Exception;

    /** Deletes a topic and returns once its logs are gone from this node. */
    protected abstract void deleteTopic(String topic) throws Exception;

    /**
     * Makes this node a follower of {@code log}'s partition, if the provider can do that in a test; returns whether
     * it did (the leader-only tests are skipped otherwise).
     */
    protected boolean makeFollower(PartitionLog log) {
        return false;
    }

    private String topic() {
        return testName.getMethodName().replaceAll("[^a-zA-Z0-9._-]", "_");
    }

    private PartitionLog newLog() throws Exception {
        return newLog(Map.of());
    }

    private PartitionLog newLog(Map<String, String> configs) throws Exception {
        createTopic(topic(), 1, configs);
        return logs().log(topic(), 0).orElseThrow(() -> new AssertionError("no log for the new topic " + topic()));
    }

    private static <T> T await(CompletionStage<T> stage) throws Exception {
        try {
            return stage.toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }

    private static Reason failure(CompletionStage<?> stage) throws Exception {
        try {
            Object value = stage.toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
            throw new AssertionError("expected a failure, got " + value);
        } catch (ExecutionException e) {
            Throwable t = e.getCause();
            while (t instanceof java.util.concurrent.CompletionException && t.getCause() != null) {
                t = t.getCause();
            }
            if (t instanceof ConsensusException c) {
                return c.reason();
            }
            throw new AssertionError("expected a ConsensusException, got " + t, t);
        }
    }

    private static Reason readFailure(PartitionLog log, long offset) {
        try {
            log.read(offset, 1 << 20);
            throw new AssertionError("read at " + offset + " should fail");
        } catch (ConsensusException e) {
            return e.reason();
        }
    }

    private static long append(PartitionLog log, String... values) throws Exception {
        return await(log.append(Batches.of(values))).baseOffset();
    }

    @Test
    public void unknownTopicHasNoLog() {
        assertFalse(logs().log("no-such-topic", 0).isPresent());
    }

    @Test
    public void partitionBeyondTheTopicHasNoLog() throws Exception {
        createTopic(topic(), 2, Map.of());
        assertTrue(logs().log(topic(), 1).isPresent());
        assertFalse(logs().log(topic(), 2).isPresent());
    }

    @Test
    public void logKnowsItsPartitionAndLeadsIt() throws Exception {
        createTopic(topic(), 2, Map.of());
        PartitionLog log = logs().log(topic(), 1).orElseThrow();
        assertEquals(topic(), log.topic());
        assertEquals(1, log.partition());
        assertTrue(log.isLeader());
        assertTrue(log.leaderEpoch() >= 0);
    }

    @Test
    public void newLogIsEmpty() throws Exception {
        PartitionLog log = newLog();
        assertEquals(0, log.highWatermark());
        assertEquals(0, log.logStartOffset());
        assertEquals(0, log.read(0, 1 << 20).remaining());
    }

    @Test
    public void appendsGetConsecutiveOffsets() throws Exception {
        PartitionLog log = newLog();
        assertEquals(0, append(log, "a", "b"));
        assertEquals(2, append(log, "c", "d", "e"));
        assertEquals(5, log.highWatermark());
        assertEquals(List.of("0:a", "1:b", "2:c", "3:d", "4:e"), Batches.values(log.read(0, 1 << 20)));
    }

    @Test
    public void providerAssignsOffsetsWhateverTheClientSent() throws Exception {
        PartitionLog log = newLog();
        ByteBuffer batch = Batches.of("x");
        batch.putLong(batch.position(), 1000); // the base offset (not covered by the CRC)
        assertEquals(0, await(log.append(batch)).baseOffset());
        assertEquals(List.of("0:x"), Batches.values(log.read(0, 1 << 20)));
    }

    @Test
    public void oneAppendMayCarrySeveralBatches() throws Exception {
        PartitionLog log = newLog();
        append(log, "first");
        ByteBuffer two = Batches.concat(Batches.of("a", "b"), Batches.of("c"));
        assertEquals(1, await(log.append(two)).baseOffset());
        assertEquals(4, log.highWatermark());
        assertEquals(List.of("1:a", "2:b", "3:c"), Batches.values(log.read(1, 1 << 20)));
    }

    @Test
    public void appendResultReportsTheLogStartAndNoAppendTimeForCreateTime() throws Exception {
        PartitionLog log = newLog();
        AppendResult r = await(log.append(Batches.of("a")));
        assertEquals(0, r.logStartOffset());
        assertEquals(-1, r.logAppendTime());
    }

    @Test
    public void logAppendTimeTopicReportsTheAppendTime() throws Exception {
        PartitionLog log = newLog(Map.of("message.timestamp.type", "LogAppendTime"));
        long before = System.currentTimeMillis();
        AppendResult r = await(log.append(Batches.of("a")));
        assertTrue("log append time " + r.logAppendTime(), r.logAppendTime() >= before - 1000
                && r.logAppendTime() <= System.currentTimeMillis() + 1000);
        assertEquals(List.of(r.logAppendTime()), Batches.logAppendTimes(log.read(0, 1 << 20)));
    }

    @Test
    public void committedAppendIsVisibleAtOnce() throws Exception {
        PartitionLog log = newLog();
        long base = append(log, "a", "b", "c");
        assertTrue(log.highWatermark() >= base + 3);
        assertEquals(3, Batches.values(log.read(base, 1 << 20)).size());
    }

    @Test
    public void readStartsAtTheBatchHoldingTheOffset() throws Exception {
        PartitionLog log = newLog();
        append(log, "a", "b", "c");
        append(log, "d");
        ByteBuffer read = log.read(1, 1 << 20);
        assertEquals(0, Batches.baseOffsets(read).get(0).longValue());
        assertEquals(List.of("0:a", "1:b", "2:c", "3:d"), Batches.values(read));
    }

    @Test
    public void readAtTheHighWatermarkIsEmpty() throws Exception {
        PartitionLog log = newLog();
        append(log, "a");
        assertEquals(0, log.read(1, 1 << 20).remaining());
    }

    @Test
    public void readBeyondTheHighWatermarkIsOutOfRange() throws Exception {
        PartitionLog log = newLog();
        append(log, "a");
        assertEquals(Reason.OFFSET_OUT_OF_RANGE, readFailure(log, 2));
    }

    @Test
    public void readReturnsAtLeastOneBatchWhateverMaxBytes() throws Exception {
        PartitionLog log = newLog();
        append(log, "a", "b");
        append(log, "c");
        assertEquals(List.of(0L), Batches.baseOffsets(log.read(0, 1)));
    }

    @Test
    public void readReturnsWholeBatchesUpToMaxBytes() throws Exception {
        PartitionLog log = newLog();
        int size = Batches.of("value-0").remaining();
        for (int i = 0; i < 5; i++) {
            append(log, "value-" + i);
        }
        ByteBuffer read = log.read(0, 2 * size);
        assertEquals(List.of(0L, 1L), Batches.baseOffsets(read));
        assertEquals(2 * size, read.remaining());
    }

    @Test
    public void readBufferBelongsToTheCaller() throws Exception {
        PartitionLog log = newLog();
        append(log, "a");
        ByteBuffer first = log.read(0, 1 << 20);
        while (first.hasRemaining()) {
            first.put((byte) 0);
        }
        assertEquals(List.of("0:a"), Batches.values(log.read(0, 1 << 20)));
    }

    @Test
    public void providerKeepsItsOwnCopyOfAnAppend() throws Exception {
        PartitionLog log = newLog();
        ByteBuffer batch = Batches.of("kept");
        await(log.append(batch));
        for (int i = batch.position(); i < batch.limit(); i++) {
            batch.put(i, (byte) 0); // the caller reuses its (pooled) buffer
        }
        assertEquals(List.of("0:kept"), Batches.values(log.read(0, 1 << 20)));
    }

    @Test
    public void storedBatchesCarryTheLeaderEpoch() throws Exception {
        PartitionLog log = newLog();
        append(log, "a");
        assertEquals(List.of(log.leaderEpoch()), Batches.leaderEpochs(log.read(0, 1 << 20)));
    }

    @Test
    public void corruptBatchIsRejected() throws Exception {
        PartitionLog log = newLog();
        ByteBuffer batch = Batches.of("payload");
        int last = batch.limit() - 1;
        batch.put(last, (byte) (batch.get(last) ^ 0x55)); // no longer matches the CRC
        assertEquals(Reason.CORRUPT_RECORD, failure(log.append(batch)));
        assertEquals(0, log.highWatermark());
    }

    @Test
    public void truncatedBatchIsRejected() throws Exception {
        PartitionLog log = newLog();
        ByteBuffer batch = Batches.of("payload");
        batch.limit(batch.limit() - 3);
        assertEquals(Reason.CORRUPT_RECORD, failure(log.append(batch)));
        assertEquals(0, log.highWatermark());
    }

    @Test
    public void batchOverMaxMessageBytesIsTooLarge() throws Exception {
        PartitionLog log = newLog(Map.of("max.message.bytes", "200"));
        assertEquals(Reason.RECORD_TOO_LARGE, failure(log.append(Batches.of("x".repeat(500)))));
        assertEquals(0, append(log, "small"));
    }

    @Test
    public void retriedIdempotentBatchGetsItsOriginalOffsets() throws Exception {
        PartitionLog log = newLog();
        append(log, "other");
        assertEquals(1, await(log.append(Batches.idempotent(7, (short) 0, 0, "a", "b"))).baseOffset());
        assertEquals(3, await(log.append(Batches.idempotent(7, (short) 0, 2, "c"))).baseOffset());
        assertEquals(3, await(log.append(Batches.idempotent(7, (short) 0, 2, "c"))).baseOffset());
        assertEquals(1, await(log.append(Batches.idempotent(7, (short) 0, 0, "a", "b"))).baseOffset());
        assertEquals(4, log.highWatermark());
    }

    @Test
    public void sequenceGapIsOutOfOrder() throws Exception {
        PartitionLog log = newLog();
        await(log.append(Batches.idempotent(8, (short) 0, 0, "a")));
        assertEquals(Reason.OUT_OF_ORDER_SEQUENCE, failure(log.append(Batches.idempotent(8, (short) 0, 5, "b"))));
        assertEquals(1, log.highWatermark());
    }

    @Test
    public void unknownProducerMustStartAtSequenceZero() throws Exception {
        PartitionLog log = newLog();
        assertEquals(Reason.OUT_OF_ORDER_SEQUENCE, failure(log.append(Batches.idempotent(9, (short) 0, 3, "a"))));
        assertEquals(0, log.highWatermark());
    }

    @Test
    public void olderProducerEpochIsRejected() throws Exception {
        PartitionLog log = newLog();
        await(log.append(Batches.idempotent(10, (short) 2, 0, "a")));
        assertEquals(Reason.INVALID_PRODUCER_EPOCH, failure(log.append(Batches.idempotent(10, (short) 1, 1, "b"))));
        assertEquals(1, log.highWatermark());
    }

    @Test
    public void newerProducerEpochStartsAgainAtSequenceZero() throws Exception {
        PartitionLog log = newLog();
        await(log.append(Batches.idempotent(11, (short) 0, 0, "a")));
        await(log.append(Batches.idempotent(11, (short) 0, 1, "b")));
        assertEquals(Reason.OUT_OF_ORDER_SEQUENCE, failure(log.append(Batches.idempotent(11, (short) 1, 2, "c"))));
        assertEquals(2, await(log.append(Batches.idempotent(11, (short) 1, 0, "c"))).baseOffset());
    }

    @Test
    public void appendAllAnswersInTheOrderOfTheLogs() throws Exception {
        createTopic(topic(), 3, Map.of());
        List<PartitionLog> logs = new ArrayList<>();
        List<ByteBuffer> batches = new ArrayList<>();
        for (int p = 2; p >= 0; p--) {
            PartitionLog log = logs().log(topic(), p).orElseThrow();
            for (int i = 0; i < p; i++) {
                append(log, "before-" + i);
            }
            logs.add(log);
            batches.add(Batches.of("p" + p));
        }
        List<CompletionStage<AppendResult>> results = logs().appendAll(logs, batches);
        assertEquals(3, results.size());
        for (int i = 0; i < 3; i++) {
            int p = 2 - i;
            assertEquals(p, await(results.get(i)).baseOffset());
            assertEquals(List.of(p + ":p" + p), Batches.values(logs.get(i).read(p, 1 << 20)));
        }
    }

    @Test
    public void appendAllNeedsOneBatchPerLog() throws Exception {
        PartitionLog log = newLog();
        try {
            logs().appendAll(List.of(log), List.of());
            fail("a batch is missing");
        } catch (IllegalArgumentException expected) {
            // the caller's mistake, reported at once
        }
    }

    @Test
    public void readBarrierCompletesOnTheLeader() throws Exception {
        PartitionLog log = newLog();
        append(log, "a");
        await(log.readBarrier());
        assertEquals(List.of("0:a"), Batches.values(log.read(0, 1 << 20)));
    }

    @Test
    public void awaitBeyondCompletesAtOnceWhenTheLogIsAhead() throws Exception {
        PartitionLog log = newLog();
        append(log, "a");
        assertTrue(log.awaitBeyond(0).toCompletableFuture().isDone());
    }

    @Test
    public void awaitBeyondWaitsForTheNextAppend() throws Exception {
        PartitionLog log = newLog();
        append(log, "a");
        CompletableFuture<Void> waiting = log.awaitBeyond(1).toCompletableFuture();
        CompletableFuture<Void> cancelled = log.awaitBeyond(1).toCompletableFuture();
        try {
            waiting.get(200, TimeUnit.MILLISECONDS);
            fail("completed before the high watermark passed 1");
        } catch (TimeoutException expected) {
            // still waiting
        }
        cancelled.cancel(false);
        append(log, "b");
        waiting.get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertTrue(log.highWatermark() > 1);
    }

    @Test
    public void deletingTheTopicRemovesItsLogsAndWakesWaiters() throws Exception {
        PartitionLog log = newLog();
        CompletableFuture<Void> waiting = log.awaitBeyond(0).toCompletableFuture();
        deleteTopic(topic());
        waiting.get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertFalse(logs().log(topic(), 0).isPresent());
    }

    @Test
    public void latestAndEarliestOffsets() throws Exception {
        PartitionLog log = newLog();
        append(log, "a", "b");
        TimestampOffset latest = log.offsetForTimestamp(-1);
        assertEquals(-1, latest.timestamp());
        assertEquals(2, latest.offset());
        assertEquals(-1, latest.leaderEpoch());
        TimestampOffset earliest = log.offsetForTimestamp(-2);
        assertEquals(-1, earliest.timestamp());
        assertEquals(0, earliest.offset());
        assertEquals(-1, earliest.leaderEpoch());
    }

    @Test
    public void offsetForTimestampFindsTheFirstRecordAtOrAfterIt() throws Exception {
        PartitionLog log = newLog();
        long t = System.currentTimeMillis() - 60_000;
        await(log.append(Batches.withTimestamps(new long[] {t, t + 100}, "a", "b")));
        await(log.append(Batches.withTimestamps(new long[] {t + 200}, "c")));
        TimestampOffset found = log.offsetForTimestamp(t + 50);
        assertEquals(1, found.offset());
        assertEquals(t + 100, found.timestamp());
        assertEquals(log.leaderEpoch(), found.leaderEpoch());
        assertEquals(2, log.offsetForTimestamp(t + 200).offset());
        assertEquals(0, log.offsetForTimestamp(t - 1000).offset());
        assertNull(log.offsetForTimestamp(t + 201));
    }

    @Test
    public void offsetForTimestampFindsTheGreatestTimestamp() throws Exception {
        PartitionLog log = newLog();
        long t = System.currentTimeMillis() - 60_000;
        await(log.append(Batches.withTimestamps(new long[] {t}, "a")));
        await(log.append(Batches.withTimestamps(new long[] {t + 500}, "b")));
        await(log.append(Batches.withTimestamps(new long[] {t + 100}, "c")));
        TimestampOffset max = log.offsetForTimestamp(-3);
        assertEquals(1, max.offset());
        assertEquals(t + 500, max.timestamp());
    }

    @Test
    public void endOffsetForLeaderEpoch() throws Exception {
        PartitionLog log = newLog();
        append(log, "a", "b", "c");
        EpochEndOffset current = log.endOffsetForLeaderEpoch(log.leaderEpoch());
        assertNotNull(current);
        assertEquals(log.leaderEpoch(), current.leaderEpoch());
        assertEquals(3, current.endOffset());
        EpochEndOffset later = log.endOffsetForLeaderEpoch(Integer.MAX_VALUE);
        assertEquals(log.leaderEpoch(), later.leaderEpoch());
        assertEquals(3, later.endOffset());
        assertNull(log.endOffsetForLeaderEpoch(-1));
    }

    @Test
    public void deleteRecordsMovesTheLogStart() throws Exception {
        PartitionLog log = newLog();
        append(log, "a", "b");
        append(log, "c", "d");
        assertEquals(2L, await(log.deleteRecordsBefore(2)).longValue());
        assertEquals(2, log.logStartOffset());
        assertEquals(2, log.offsetForTimestamp(-2).offset());
        assertEquals(Reason.OFFSET_OUT_OF_RANGE, readFailure(log, 1));
        assertEquals(List.of("2:c", "3:d"), Batches.values(log.read(2, 1 << 20)));
        assertEquals(2, await(log.append(Batches.of("e"))).logStartOffset());
    }

    @Test
    public void deleteRecordsBelowTheLogStartKeepsIt() throws Exception {
        PartitionLog log = newLog();
        append(log, "a", "b", "c");
        await(log.deleteRecordsBefore(2));
        assertEquals(2L, await(log.deleteRecordsBefore(1)).longValue());
        assertEquals(2, log.logStartOffset());
    }

    @Test
    public void deleteRecordsBeforeMinusOneMeansTheHighWatermark() throws Exception {
        PartitionLog log = newLog();
        append(log, "a", "b", "c");
        assertEquals(3L, await(log.deleteRecordsBefore(-1)).longValue());
        assertEquals(3, log.logStartOffset());
        assertEquals(0, log.read(3, 1 << 20).remaining());
    }

    @Test
    public void deleteRecordsBeyondTheHighWatermarkIsOutOfRange() throws Exception {
        PartitionLog log = newLog();
        append(log, "a");
        assertEquals(Reason.OFFSET_OUT_OF_RANGE, failure(log.deleteRecordsBefore(5)));
        assertEquals(0, log.logStartOffset());
    }

    @Test
    public void followerRefusesWrites() throws Exception {
        PartitionLog log = newLog();
        append(log, "a");
        assumeTrue("the provider cannot make this node a follower in a test", makeFollower(log));
        assertFalse(log.isLeader());
        assertEquals(Reason.NOT_LEADER, failure(log.append(Batches.of("b"))));
        assertEquals(Reason.NOT_LEADER, failure(log.deleteRecordsBefore(1)));
        assertEquals(List.of("0:a"), Batches.values(log.read(0, 1 << 20)));
    }
}
