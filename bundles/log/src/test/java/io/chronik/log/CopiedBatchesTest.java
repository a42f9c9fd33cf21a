package io.chronik.log;

import static io.chronik.log.TestBatches.batch;
import static io.chronik.log.TestBatches.idempotent;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.ByteBuffer;
import java.nio.file.Path;

import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import io.chronik.api.consensus.ConsensusException;
import io.chronik.api.consensus.ConsensusException.Reason;

/** {@link SegmentLog#appendCopied} and {@link SegmentLog#createEmpty}: a partition copied to a new replica. */
public class CopiedBatchesTest {
    private static final long NOW = 1_700_000_000_000L;

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private SegmentLog source;
    private SegmentLog copy;

    @After
    public void tearDown() {
        if (source != null) {
            source.close();
        }
        if (copy != null) {
            copy.close();
        }
    }

    @Test
    public void aCopyHoldsTheSameBytesOffsetsEpochsAndProducerState() throws Exception {
        source = SegmentLog.open(tmp.newFolder("source").toPath(), LogConfig.defaultConfig());
        long pid = 42L;
        source.append(batch(NOW, "a", "b"), 3, NOW);
        source.append(idempotent(pid, (short) 0, 0, NOW, "c", "d"), 5, NOW);
        source.append(batch(NOW, "e"), 7, NOW);
        source.deleteRecordsBefore(1);

        ByteBuffer all = source.read(source.logStartOffset(), 1 << 20, source.logEndOffset());
        long firstBase = all.getLong(0);
        Path dir = tmp.getRoot().toPath().resolve("copy");
        copy = SegmentLog.createEmpty(dir, LogConfig.defaultConfig(), firstBase, 10, 1);
        assertEquals(firstBase, copy.logEndOffset());
        assertEquals(10, copy.lastCheckpoint().appliedIndex());

        // copied in two parts, the second overlapping the first (a resent copy)
        ByteBuffer firstPart = source.read(source.logStartOffset(), 1, source.logEndOffset());
        assertEquals(2, copy.appendCopied(firstPart));
        assertEquals(5, copy.appendCopied(all.duplicate()));
        copy.deleteRecordsBefore(source.logStartOffset());

        assertEquals(source.logStartOffset(), copy.logStartOffset());
        assertEquals(source.logEndOffset(), copy.logEndOffset());
        assertEquals(all, copy.read(copy.logStartOffset(), 1 << 20, copy.logEndOffset()));
        assertEquals(7, copy.latestEpoch());
        assertEquals(source.endOffsetForLeaderEpoch(5).endOffset(), copy.endOffsetForLeaderEpoch(5).endOffset());

        // the idempotent producer's retry is recognised on the copy, and its next batch follows on
        AppendInfo dup = copy.append(idempotent(pid, (short) 0, 0, NOW, "c", "d"), 9, NOW);
        assertTrue(dup.duplicate());
        assertEquals(2, dup.baseOffset());
        assertEquals(5, copy.append(idempotent(pid, (short) 0, 2, NOW, "f"), 9, NOW).baseOffset());

        // and all of it survives a reopen
        copy.checkpoint(20, 2);
        copy.close();
        copy = SegmentLog.open(dir, LogConfig.defaultConfig());
        assertEquals(6, copy.logEndOffset());
        assertTrue(copy.append(idempotent(pid, (short) 0, 2, NOW, "f"), 9, NOW).duplicate());
    }

    @Test
    public void aGapOrADamagedBatchIsRefusedAndNothingIsWritten() throws Exception {
        source = SegmentLog.open(tmp.newFolder("source").toPath(), LogConfig.defaultConfig());
        source.append(batch(NOW, "a"), 1, NOW);
        source.append(batch(NOW, "b"), 1, NOW);
        copy = SegmentLog.createEmpty(tmp.getRoot().toPath().resolve("copy"), LogConfig.defaultConfig(), 0, 1, 1);
        ByteBuffer second = source.read(1, 1, 2);
        try {
            copy.appendCopied(second);
            fail("a gap was accepted");
        } catch (ConsensusException e) {
            assertEquals(Reason.OFFSET_OUT_OF_RANGE, e.reason());
        }
        ByteBuffer damaged = source.read(0, 1, 1);
        damaged.put(damaged.limit() - 1, (byte) (damaged.get(damaged.limit() - 1) ^ 1));
        try {
            copy.appendCopied(damaged);
            fail("a damaged batch was accepted");
        } catch (ConsensusException e) {
            assertEquals(Reason.CORRUPT_RECORD, e.reason());
        }
        assertEquals(0, copy.logEndOffset());
    }

    @Test
    public void anEmptyLogStartsWhereTheSourceEnds() throws Exception {
        copy = SegmentLog.createEmpty(tmp.getRoot().toPath().resolve("copy"), LogConfig.defaultConfig(), 1234, 5, 1);
        assertEquals(1234, copy.logStartOffset());
        assertEquals(1234, copy.logEndOffset());
        assertEquals(1234, copy.append(batch(NOW, "x"), 2, NOW).baseOffset());
    }
}
