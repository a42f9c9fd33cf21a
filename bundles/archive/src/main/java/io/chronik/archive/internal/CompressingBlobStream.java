package io.chronik.archive.internal;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

import io.chronik.api.compression.CompressionCodec;

/**
 * Turns a source stream into an archived blob ({@link BlobFormat}) as a pull stream, in constant memory: each
 * refill reads a slice of the source through the codec's compressor and emits whatever compressed bytes came
 * out as one chunk; at the end of the source it finishes the compressor and emits the terminator and trailer.
 * This lets {@code ObjectStore.put(key, InputStream)} pull the blob without spooling it.
 */
final class CompressingBlobStream extends BulkInputStream {
    private static final int SLICE = 64 * 1024;

    private final InputStream source;
    private final CRC32 crc = new CRC32();
    private final ByteArrayOutputStream compressed = new ByteArrayOutputStream(SLICE);
    private final OutputStream compressor;
    private final byte[] slice = new byte[SLICE];
    private long uncompressed;
    private byte[] pending;
    private int pendingPos;
    private boolean finished;

    CompressingBlobStream(InputStream source, CompressionCodec codec) throws IOException {
        this.source = source;
        ByteArrayOutputStream header = new ByteArrayOutputStream();
        byte[] name = codec.name().getBytes(StandardCharsets.US_ASCII);
        if (name.length == 0 || name.length > 255) {
            throw new IllegalArgumentException("codec name must be 1..255 ASCII bytes: " + codec.name());
        }
        header.write(BlobFormat.MAGIC);
        header.write(BlobFormat.VERSION);
        header.write(name.length);
        header.write(name);
        this.pending = header.toByteArray();
        this.compressor = codec.compress(new OutputStream() {
            @Override
            public void write(int b) {
                compressed.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                compressed.write(b, off, len);
            }
        });
    }

    /** Uncompressed bytes read from the source so far. */
    long uncompressedBytes() {
        return uncompressed;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (pending == null || pendingPos == pending.length) {
            if (finished) {
                return -1;
            }
            refill();
        }
        int n = Math.min(len, pending.length - pendingPos);
        System.arraycopy(pending, pendingPos, b, off, n);
        pendingPos += n;
        return n;
    }

    private void refill() throws IOException {
        int n = source.read(slice);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DataOutputStream data = new DataOutputStream(out);
        if (n < 0) {
            compressor.close();
            emitChunk(data);
            data.writeInt(0);
            data.writeLong(uncompressed);
            data.writeInt((int) crc.getValue());
            finished = true;
        } else {
            crc.update(slice, 0, n);
            uncompressed += n;
            compressor.write(slice, 0, n);
            emitChunk(data);
        }
        data.flush();
        pending = out.toByteArray();
        pendingPos = 0;
    }

    private void emitChunk(DataOutputStream data) throws IOException {
        if (compressed.size() > 0) {
            data.writeInt(compressed.size());
            compressed.writeTo(data);
            compressed.reset();
        }
    }
}
