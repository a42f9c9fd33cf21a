package io.chronik.log;

import static io.chronik.log.TestBatches.batch;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.fail;

import java.nio.ByteBuffer;

import org.junit.Test;

import io.chronik.api.consensus.ConsensusException;
import io.chronik.api.consensus.ConsensusException.Reason;

/** The integrity check a Raft leader makes before replicating produced batches. */
public class RecordBatchesTest {
    private static final long NOW = 1_700_000_000_000L;

    @Test
    public void acceptsWholeBatchesWithoutMovingTheBuffer() throws Exception {
        ByteBuffer good = batch(NOW, "a", "b");
        RecordBatches.checkIntegrity(good);
        assertEquals(0, good.position());
        ByteBuffer two = ByteBuffer.allocate(good.remaining() * 2);
        two.put(good.duplicate()).put(good.duplicate()).flip();
        RecordBatches.checkIntegrity(two);
        ByteBuffer offset = ByteBuffer.allocate(good.remaining() + 5);
        offset.position(5);
        offset.put(good.duplicate()).position(5);
        RecordBatches.checkIntegrity(offset);
        assertEquals(5, offset.position());
    }

    @Test
    public void rejectsTruncatedCorruptForeignAndEmptyInput() {
        ByteBuffer good = batch(NOW, "a", "b");
        ByteBuffer truncated = good.duplicate();
        truncated.limit(truncated.limit() - 3);
        assertCorrupt(truncated);
        ByteBuffer headerOnly = good.duplicate();
        headerOnly.limit(40);
        assertCorrupt(headerOnly);
        ByteBuffer flipped = ByteBuffer.allocate(good.remaining()).put(good.duplicate()).flip();
        flipped.put(flipped.limit() - 1, (byte) (flipped.get(flipped.limit() - 1) + 1));
        assertCorrupt(flipped);
        ByteBuffer magic = ByteBuffer.allocate(good.remaining()).put(good.duplicate()).flip();
        magic.put(16, (byte) 1);
        assertCorrupt(magic);
        assertCorrupt(ByteBuffer.allocate(0));
    }

    private static void assertCorrupt(ByteBuffer b) {
        try {
            RecordBatches.checkIntegrity(b);
            fail();
        } catch (ConsensusException e) {
            assertEquals(Reason.CORRUPT_RECORD, e.reason());
        }
    }
}
