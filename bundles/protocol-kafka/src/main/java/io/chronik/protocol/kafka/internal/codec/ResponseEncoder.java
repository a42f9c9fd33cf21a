package io.chronik.protocol.kafka.internal.codec;

import java.nio.ByteBuffer;

import org.apache.kafka.common.message.ResponseHeaderData;
import org.apache.kafka.common.protocol.MessageSizeAccumulator;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.apache.kafka.common.protocol.Writable;
import org.apache.kafka.common.record.BaseRecords;
import org.apache.kafka.common.record.MemoryRecords;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;

/**
 * Encodes a response frame: length prefix, response header, body. Record sets (Fetch) are not copied: the
 * frame becomes a composite of the encoded fields and the log's buffers.
 */
public final class ResponseEncoder {
    /** Record sets smaller than this are copied; a composite component costs more than copying them. */
    private static final int COPY_BELOW = 1024;

    private ResponseEncoder() {
    }

    public static ByteBuf encode(ByteBufAllocator alloc, Outcome outcome) {
        ObjectSerializationCache cache = new ObjectSerializationCache();
        MessageSizeAccumulator size = new MessageSizeAccumulator();
        outcome.body.addSize(size, cache, outcome.version);
        ResponseHeaderData header = new ResponseHeaderData().setCorrelationId(outcome.correlationId);
        int headerSize = header.size(cache, outcome.headerVersion);
        int total = headerSize + size.totalSize();
        ByteBuf buf = alloc.ioBuffer(4 + headerSize + size.sizeExcludingZeroCopy());
        try {
            buf.writeInt(total);
            ByteBufWritable out = new ByteBufWritable(alloc, buf);
            header.write(out, cache, outcome.headerVersion);
            outcome.body.write(out, cache, outcome.version);
            return out.finish();
        } catch (RuntimeException | Error e) {
            buf.release();
            throw e;
        }
    }

    /** A {@link Writable} onto a Netty buffer that links large record sets in instead of copying them. */
    static final class ByteBufWritable implements Writable {
        private final ByteBufAllocator alloc;
        private final ByteBuf buf;
        private CompositeByteBuf composite;
        private int segmentStart;

        ByteBufWritable(ByteBufAllocator alloc, ByteBuf buf) {
            this.alloc = alloc;
            this.buf = buf;
        }

        @Override
        public void writeByte(byte val) {
            buf.writeByte(val);
        }

        @Override
        public void writeShort(short val) {
            buf.writeShort(val);
        }

        @Override
        public void writeInt(int val) {
            buf.writeInt(val);
        }

        @Override
        public void writeLong(long val) {
            buf.writeLong(val);
        }

        @Override
        public void writeDouble(double val) {
            buf.writeDouble(val);
        }

        @Override
        public void writeByteArray(byte[] arr) {
            buf.writeBytes(arr);
        }

        @Override
        public void writeUnsignedVarint(int i) {
            while ((i & 0xFFFFFF80) != 0) {
                buf.writeByte((i & 0x7F) | 0x80);
                i >>>= 7;
            }
            buf.writeByte(i);
        }

        @Override
        public void writeByteBuffer(ByteBuffer src) {
            buf.writeBytes(src.duplicate());
        }

        @Override
        public void writeVarint(int i) {
            writeUnsignedVarint((i << 1) ^ (i >> 31));
        }

        @Override
        public void writeVarlong(long i) {
            long v = (i << 1) ^ (i >> 63);
            while ((v & 0xFFFFFFFFFFFFFF80L) != 0L) {
                buf.writeByte(((int) v & 0x7F) | 0x80);
                v >>>= 7;
            }
            buf.writeByte((int) v);
        }

        @Override
        public void writeRecords(BaseRecords records) {
            if (!(records instanceof MemoryRecords memory)) {
                throw new IllegalArgumentException("unexpected record set " + records.getClass().getName());
            }
            ByteBuffer bytes = memory.buffer();
            if (bytes.remaining() < COPY_BELOW) {
                buf.writeBytes(bytes);
                return;
            }
            if (composite == null) {
                composite = alloc.compositeBuffer(Integer.MAX_VALUE);
            }
            if (buf.writerIndex() > segmentStart) {
                composite.addComponent(true, buf.retainedSlice(segmentStart, buf.writerIndex() - segmentStart));
            }
            composite.addComponent(true, Unpooled.wrappedBuffer(bytes));
            segmentStart = buf.writerIndex();
        }

        ByteBuf finish() {
            if (composite == null) {
                return buf;
            }
            if (buf.writerIndex() > segmentStart) {
                composite.addComponent(true, buf.retainedSlice(segmentStart, buf.writerIndex() - segmentStart));
            }
            buf.release();
            return composite;
        }
    }
}
