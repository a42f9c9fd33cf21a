package io.chronik.raft.internal;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;

/**
 * The encoding of a data group's Raft entry: one or more operations (produce appends, DeleteRecords) for
 * partitions of the group.
 *
 * <pre>
 * entry   := headerLength:int header payload*
 * header  := count:int op*
 * op      := type:byte origin:long id:long topicId:uuid topic:utf partition:int value:long payloadLength:int
 * </pre>
 * The header comes first and the payloads (record batches, as produced) follow it. The entry is one buffer (the
 * payloads are copied once, see {@link #encode}); on apply each payload is a read-only slice of the entry, not a
 * copy, whether the entry comes from the leader's log cache, the network or the disk. In the Raft log the two
 * parts are stored apart ({@link #split}, {@link PayloadLog}).
 */
final class DataEntry {
    static final byte APPEND = 1;
    static final byte DELETE_RECORDS = 2;
    /** Source group of a move: no more writes to the partition here (value: the move's id). */
    static final byte FENCE = 3;
    /** Source group of a cancelled move: writes are accepted again (value: the move's id). */
    static final byte UNFENCE = 4;
    /** Target group of a move: the copy starts at the offset in the payload (value: the move's id). */
    static final byte COPY_START = 5;
    /** Target group of a move: record batches copied as they are (value: the move's id). */
    static final byte COPY = 6;
    /** Target group of a move: the copy is complete; payload: log start offset, epoch base (value: the move's id). */
    static final byte COPY_SEAL = 7;

    /** Whether {@code type} is one of a move's operations on its target group (COPY_START, COPY, COPY_SEAL). */
    static boolean isCopy(byte type) {
        return type == COPY_START || type == COPY || type == COPY_SEAL;
    }

    /** Bytes of header per operation besides the topic name. */
    static final int OP_HEADER_BYTES = 1 + 8 + 8 + 16 + 2 + 4 + 8 + 4;

    /**
     * One operation.
     *
     * @param origin  random id of the node run that submitted it (results are delivered only there)
     * @param id      the submitter's request id
     * @param value   APPEND: the leader's append time (ms); DELETE_RECORDS: the new log start offset; the move
     *                operations: the move's id
     * @param payload APPEND and COPY: the record batches; COPY_START: the start offset (8 bytes); COPY_SEAL: the log
     *                start offset (8 bytes) and the epoch base (4 bytes); otherwise empty
     */
    record Op(byte type, long origin, long id, UUID topicId, String topic, int partition, long value, ByteString payload) {
        ByteBuffer payloadBuffer() {
            return payload.asReadOnlyByteBuffer();
        }
    }

    private DataEntry() {
    }

    static ByteString encode(List<Op> ops) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(16 + ops.size() * (OP_HEADER_BYTES + 24));
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(0); // header length, patched below
            out.writeInt(ops.size());
            for (Op op : ops) {
                out.writeByte(op.type());
                out.writeLong(op.origin());
                out.writeLong(op.id());
                out.writeLong(op.topicId().getMostSignificantBits());
                out.writeLong(op.topicId().getLeastSignificantBits());
                out.writeUTF(op.topic());
                out.writeInt(op.partition());
                out.writeLong(op.value());
                out.writeInt(op.payload().size());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        byte[] header = bytes.toByteArray();
        ByteBuffer.wrap(header).putInt(0, header.length - 4);
        // One copy of the payloads into the entry, which Ratis keeps in its log cache (and may send to a lagging
        // follower) after the producer's buffer has been handed back to the protocol layer for reuse. A direct
        // buffer: the payload log and the partition log write it to their files without the JDK first copying a
        // heap buffer into a temporary direct one (two copies per entry); it is freed with the entry, once Ratis'
        // log cache lets go of it (a few tens of MB under load).
        long total = header.length;
        for (Op op : ops) {
            total += op.payload().size();
        }
        ByteBuffer entry = ByteBuffer.allocateDirect(Math.toIntExact(total));
        entry.put(header);
        for (Op op : ops) {
            op.payload().copyTo(entry);
        }
        entry.flip();
        return UnsafeByteOperations.unsafeWrap(entry);
    }

    static List<Op> decode(ByteString entry) throws IOException {
        return decode(entry, ByteString.EMPTY);
    }

    /**
     * Splits an encoded entry into its header ({@code headerLength header}) and its payloads, as the Raft log
     * stores them: the header as the entry's log data, the payloads beside it ({@link PayloadLog}). Views, no copy.
     */
    static ByteString[] split(ByteString entry) throws IOException {
        int end = 4 + headerLength(entry);
        return new ByteString[] {entry.substring(0, end), entry.substring(end)};
    }

    /**
     * Decodes an entry: {@code header} as {@link #encode} wrote it, followed by the payloads if {@code payloads} is
     * empty, else the payloads are {@code payloads} (the entry was {@link #split}).
     */
    static List<Op> decode(ByteString header, ByteString payloads) throws IOException {
        int headerLength = headerLength(header);
        DataInputStream in = new DataInputStream(header.substring(4, 4 + headerLength).newInput());
        ByteString source = payloads.isEmpty() ? header : payloads;
        int position = payloads.isEmpty() ? 4 + headerLength : 0;
        int count = in.readInt();
        List<Op> ops = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            byte type = in.readByte();
            long origin = in.readLong();
            long id = in.readLong();
            UUID topicId = new UUID(in.readLong(), in.readLong());
            String topic = in.readUTF();
            int partition = in.readInt();
            long value = in.readLong();
            int length = in.readInt();
            if (length < 0 || (long) position + length > source.size()) {
                throw new IOException("bad payload length " + length + " in data entry");
            }
            ByteString payload = length == 0 ? ByteString.EMPTY : source.substring(position, position + length);
            position += length;
            ops.add(new Op(type, origin, id, topicId, topic, partition, value, payload));
        }
        return ops;
    }

    private static int headerLength(ByteString entry) throws IOException {
        if (entry.size() < 8) {
            throw new IOException("data entry too short: " + entry.size() + " bytes");
        }
        int headerLength = ((entry.byteAt(0) & 0xff) << 24) | ((entry.byteAt(1) & 0xff) << 16)
                | ((entry.byteAt(2) & 0xff) << 8) | (entry.byteAt(3) & 0xff);
        if (headerLength < 4 || 4L + headerLength > entry.size()) {
            throw new IOException("bad data entry header length " + headerLength);
        }
        return headerLength;
    }
}
