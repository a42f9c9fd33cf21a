package io.chronik.raft.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;

import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class PayloadLogTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private static ByteString payload(long index, int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (index * 31 + i);
        }
        return ByteString.copyFrom(b);
    }

    @Test
    public void payloadsSurviveReopeningAndTheLatestRecordOfAnIndexWins() throws Exception {
        Path dir = tmp.newFolder().toPath();
        PayloadLog log = PayloadLog.open(dir, FlushPolicy.RAFT, 1 << 20, "test");
        for (long i = 1; i <= 5; i++) {
            log.append(i, payload(i, 1000));
        }
        // a follower's log was truncated after 3: Ratis writes 4 and 5 again with the new leader's entries
        log.append(4, payload(40, 700));
        log.append(5, payload(50, 10));
        log.flush(5).get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertTrue("nothing written since: nothing to force", log.flush(5).isDone());
        assertEquals(payload(3, 1000), log.read(3));
        assertEquals(payload(40, 700), log.read(4));
        log.close();

        PayloadLog reopened = PayloadLog.open(dir, FlushPolicy.RAFT, 1 << 20, "test");
        assertArrayEquals(new long[] {1, 2, 3, 4, 5}, reopened.indexes());
        assertEquals(payload(1, 1000), reopened.read(1));
        assertEquals(payload(40, 700), reopened.read(4));
        assertEquals(payload(50, 10), reopened.read(5));
        try {
            reopened.read(6);
            fail("no payload for 6");
        } catch (IOException expected) {
            assertTrue(expected.getMessage().contains("entry 6"));
        }
        reopened.close();
    }

    @Test
    public void aTornTailIsCutAndACorruptRecordIsRefused() throws Exception {
        Path dir = tmp.newFolder().toPath();
        PayloadLog log = PayloadLog.open(dir, FlushPolicy.OS, 1 << 20, "test");
        log.append(1, payload(1, 100));
        log.append(2, payload(2, 100));
        log.close();
        Path file = single(dir);
        long recordSize = PayloadLog.RECORD_HEADER + 100;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(2 * recordSize - 7); // the second record was half written when the machine stopped
            ch.write(ByteBuffer.wrap(new byte[] {(byte) 0xff}), PayloadLog.RECORD_HEADER + 10); // rot in the first
        }
        PayloadLog reopened = PayloadLog.open(dir, FlushPolicy.OS, 1 << 20, "test");
        assertArrayEquals(new long[] {1}, reopened.indexes());
        assertEquals(recordSize, Files.size(file));
        try {
            reopened.read(1);
            fail("corrupt payload served");
        } catch (IOException expected) {
            assertTrue(expected.getMessage().contains("checksum"));
        }
        // a follower asking for it gets a stand-in that every replica's state machine skips alike
        org.apache.ratis.proto.RaftProtos.LogEntryProto entry =
                org.apache.ratis.proto.RaftProtos.LogEntryProto.newBuilder().setIndex(1).setTerm(1).build();
        assertEquals(PayloadLog.LOST, reopened.read(entry, null).get());
        try {
            DataEntry.decode(DataEntry.split(DataEntry.encode(java.util.List.of(new DataEntry.Op(DataEntry.APPEND, 1, 1,
                    java.util.UUID.randomUUID(), "t", 0, 0, payload(1, 100)))))[0], PayloadLog.LOST);
            fail("a lost payload decoded");
        } catch (IOException expected) {
            assertTrue(expected.getMessage().contains("payload length"));
        }
        reopened.append(2, payload(2, 100)); // writing goes on after the cut
        assertEquals(payload(2, 100), reopened.read(2));
        reopened.close();
    }

    @Test
    public void filesRollAndGoOnceTheRaftLogNoLongerHoldsTheirEntries() throws Exception {
        Path dir = tmp.newFolder().toPath();
        PayloadLog log = PayloadLog.open(dir, FlushPolicy.OS, 4000, "test");
        for (long i = 1; i <= 20; i++) {
            log.append(i, payload(i, 1000)); // four records per file
        }
        assertEquals(5, log.fileCount());
        assertEquals(0, log.purgeBelow(4)); // the first file still holds 4
        assertEquals(2, log.purgeBelow(9));
        assertEquals(3, log.fileCount());
        assertEquals(9, log.indexes()[0]);
        assertEquals(payload(9, 1000), log.read(9));
        assertEquals(2, log.purgeBelow(1000)); // never the file being written
        assertArrayEquals(new long[] {17, 18, 19, 20}, log.indexes());
        log.close();
        assertEquals(1, Stream.of(dir.toFile().list()).count());
    }

    private static Path single(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> files = s.toList();
            assertEquals(1, files.size());
            return files.get(0);
        }
    }
}
