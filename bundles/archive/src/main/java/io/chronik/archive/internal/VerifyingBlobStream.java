package io.chronik.archive.internal;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.CRC32;

import io.chronik.api.compression.CorruptDataException;

/**
 * Reads the uncompressed bytes of a blob and, when they end, checks them against the blob's trailer (length
 * and CRC32). A mismatch, a missing trailer or bytes after it throw {@link CorruptDataException}.
 */
final class VerifyingBlobStream extends BulkInputStream {
    private final String key;
    private final DataInputStream raw;
    private final InputStream body;
    private final InputStream decompressed;
    private final CRC32 crc = new CRC32();
    private long length;
    private boolean verified;

    VerifyingBlobStream(String key, DataInputStream raw, InputStream body, InputStream decompressed) {
        this.key = key;
        this.raw = raw;
        this.body = body;
        this.decompressed = decompressed;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (verified) {
            return -1;
        }
        int n = decompressed.read(b, off, len);
        if (n > 0) {
            crc.update(b, off, n);
            length += n;
        } else if (n < 0) {
            verifyTrailer();
        }
        return n;
    }

    private void verifyTrailer() throws IOException {
        // a self-terminating format (gzip, zstd, ...) may end before the chunk terminator: nothing may follow
        if (body.read() != -1) {
            throw new CorruptDataException("archived blob '" + key + "' has data after its compressed stream");
        }
        try {
            long expectedLength = raw.readLong();
            int expectedCrc = raw.readInt();
            if (expectedLength != length || expectedCrc != (int) crc.getValue()) {
                throw new CorruptDataException("archived blob '" + key + "' fails its checksum: expected "
                        + expectedLength + " bytes with CRC32 " + Integer.toHexString(expectedCrc) + ", read "
                        + length + " bytes with CRC32 " + Integer.toHexString((int) crc.getValue()));
            }
            if (raw.read() != -1) {
                throw new CorruptDataException("archived blob '" + key + "' has data after its trailer");
            }
        } catch (EOFException e) {
            throw new CorruptDataException("archived blob '" + key + "' is truncated: trailer missing", e);
        }
        verified = true;
    }

    @Override
    public void close() throws IOException {
        try {
            decompressed.close();
        } finally {
            raw.close();
        }
    }
}
