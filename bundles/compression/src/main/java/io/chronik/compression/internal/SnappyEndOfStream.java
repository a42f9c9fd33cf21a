package io.chronik.compression.internal;

import io.chronik.api.compression.CorruptDataException;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The end-of-stream chunk that {@link SnappyCodec} appends to the Snappy framing format, which has none of its own.
 *
 * <p>Layout (a reserved skippable chunk, so other decoders skip it): type {@value #CHUNK_TYPE}, 3-byte little-endian
 * length 16, the 8 ASCII bytes {@code CHRNKEOS}, the number of uncompressed bytes of the stream as 8-byte
 * little-endian.
 */
final class SnappyEndOfStream {

    /** From the reserved skippable range 0x80-0xfd of the framing format. */
    static final int CHUNK_TYPE = 0xfd;
    static final byte[] MAGIC = "CHRNKEOS".getBytes(StandardCharsets.US_ASCII);
    static final int PAYLOAD_LENGTH = MAGIC.length + 8;

    private SnappyEndOfStream() {
    }

    static byte[] chunk(long uncompressedLength) {
        byte[] chunk = new byte[4 + PAYLOAD_LENGTH];
        chunk[0] = (byte) CHUNK_TYPE;
        chunk[1] = (byte) PAYLOAD_LENGTH;
        System.arraycopy(MAGIC, 0, chunk, 4, MAGIC.length);
        for (int i = 0; i < 8; i++) {
            chunk[4 + MAGIC.length + i] = (byte) (uncompressedLength >>> (8 * i));
        }
        return chunk;
    }

    /** Opens the framed Snappy compressor over a stream. */
    @FunctionalInterface
    interface CompressorFactory {
        OutputStream open(OutputStream out) throws IOException;
    }

    /**
     * Compressing stream: the framed Snappy stream, then the end-of-stream chunk. Closing finishes both and closes
     * the target stream.
     */
    static final class Writer extends OutputStream {
        private final OutputStream target;
        private final OutputStream snappy;
        private long count;
        private boolean closed;

        Writer(OutputStream target, CompressorFactory factory) throws IOException {
            this.target = target;
            this.snappy = factory.open(new OutputStream() { // shields target from the compressor's close()
                @Override
                public void write(int b) throws IOException {
                    target.write(b);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    target.write(b, off, len);
                }

                @Override
                public void flush() throws IOException {
                    target.flush();
                }
            });
        }

        @Override
        public void write(int b) throws IOException {
            ensureOpen();
            snappy.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            ensureOpen();
            snappy.write(b, off, len);
            count += len;
        }

        @Override
        public void flush() throws IOException {
            ensureOpen();
            snappy.flush();
        }

        @Override
        public void close() throws IOException {
            if (closed) {
                return;
            }
            closed = true;
            try (OutputStream t = target) {
                snappy.close(); // writes the last chunk; leaves target open
                t.write(chunk(count));
            }
        }

        private void ensureOpen() throws IOException {
            if (closed) {
                throw new IOException("snappy stream closed");
            }
        }
    }

    /**
     * Sits between the source and the decoder and follows the chunk structure of the raw bytes going through,
     * remembering whether the last complete chunk was an end-of-stream chunk and the uncompressed length the
     * end-of-stream chunks announce (summed, so that concatenated streams of this codec are accepted).
     */
    static final class Tracker extends FilterInputStream {
        private final byte[] header = new byte[4];
        private int headerFill;
        private long payloadRemaining;
        private boolean candidate;
        private final byte[] payload = new byte[PAYLOAD_LENGTH];
        private int payloadFill;

        private boolean lastChunkWasEnd;
        private long announcedLength;

        Tracker(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                consume((byte) b);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            int i = off;
            int end = off + Math.max(n, 0);
            while (i < end) {
                if (payloadRemaining > 0 && !candidate) { // skip over chunk data in one step
                    int span = (int) Math.min(payloadRemaining, end - i);
                    i += span;
                    if ((payloadRemaining -= span) == 0) {
                        chunkComplete();
                    }
                } else {
                    consume(b[i++]);
                }
            }
            return n;
        }

        /** Skips by reading, so that the chunk structure is followed. */
        @Override
        public long skip(long n) throws IOException {
            byte[] buffer = new byte[(int) Math.min(n, 8192)];
            long skipped = 0;
            while (skipped < n) {
                int r = read(buffer, 0, (int) Math.min(buffer.length, n - skipped));
                if (r < 0) {
                    break;
                }
                skipped += r;
            }
            return skipped;
        }

        @Override
        public boolean markSupported() {
            return false;
        }

        @Override
        public synchronized void mark(int readlimit) {
            // not supported
        }

        @Override
        public synchronized void reset() throws IOException {
            throw new IOException("mark/reset not supported");
        }

        private void consume(byte b) {
            if (payloadRemaining > 0) {
                if (candidate) {
                    payload[payloadFill++] = b;
                }
                if (--payloadRemaining == 0) {
                    chunkComplete();
                }
                return;
            }
            header[headerFill++] = b;
            if (headerFill < header.length) {
                return;
            }
            headerFill = 0;
            lastChunkWasEnd = false;
            int type = header[0] & 0xff;
            payloadRemaining = (header[1] & 0xff) | (header[2] & 0xff) << 8 | (header[3] & 0xff) << 16;
            candidate = type == CHUNK_TYPE && payloadRemaining == PAYLOAD_LENGTH;
            payloadFill = 0;
            if (payloadRemaining == 0) {
                chunkComplete();
            }
        }

        private void chunkComplete() {
            if (candidate && Arrays.equals(payload, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
                long length = 0;
                for (int i = 7; i >= 0; i--) {
                    length = length << 8 | (payload[MAGIC.length + i] & 0xff);
                }
                announcedLength += length;
                lastChunkWasEnd = true;
            }
            candidate = false;
        }

        /** Called when the decoder reached the end of the stream. */
        void verifyEnd(long decodedBytes) throws CorruptDataException {
            if (!lastChunkWasEnd || headerFill != 0 || payloadRemaining != 0) {
                throw new CorruptDataException("snappy: stream is truncated, it does not end with the end-of-stream chunk"
                        + " (after " + decodedBytes + " decoded bytes)");
            }
            if (announcedLength != decodedBytes) {
                throw new CorruptDataException("snappy: decoded " + decodedBytes + " bytes but the end-of-stream chunk"
                        + " announces " + announcedLength);
            }
        }
    }
}
