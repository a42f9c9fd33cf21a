package io.chronik.archive.internal;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;

import io.chronik.api.compression.CorruptDataException;

/**
 * The compressed body of a blob: reads length-prefixed chunks until the zero terminator, then reports end of
 * stream without consuming anything after it (the trailer stays for {@link VerifyingBlobStream}). Closing it
 * does not close the underlying stream.
 */
final class ChunkedInputStream extends BulkInputStream {
    private final String key;
    private final DataInputStream raw;
    private int remaining;
    private boolean ended;

    ChunkedInputStream(String key, DataInputStream raw) {
        this.key = key;
        this.raw = raw;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (remaining == 0) {
            if (ended) {
                return -1;
            }
            nextChunk();
        }
        int n = raw.read(b, off, Math.min(len, remaining));
        if (n < 0) {
            throw new CorruptDataException("archived blob '" + key + "' is truncated inside a chunk");
        }
        remaining -= n;
        return n;
    }

    private void nextChunk() throws IOException {
        int length;
        try {
            length = raw.readInt();
        } catch (EOFException e) {
            throw new CorruptDataException("archived blob '" + key + "' is truncated: chunk header missing", e);
        }
        if (length < 0 || length > BlobFormat.MAX_CHUNK) {
            throw new CorruptDataException("archived blob '" + key + "' has an invalid chunk length " + length);
        }
        if (length == 0) {
            ended = true;
        }
        remaining = length;
    }

    @Override
    public void close() {
        // the underlying stream belongs to the blob reader
    }
}
