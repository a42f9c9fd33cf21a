package io.chronik.compression.internal;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Wraps the caller's (compressed) input stream directly: counts the bytes read and remembers the last exception the
 * caller's stream threw, so that {@link DecompressingInputStream} can tell an I/O failure of the source (passed on
 * unchanged) from a format error found by the decoder (reported as corrupt data). Marks are not supported.
 */
final class SourceInputStream extends FilterInputStream {

    private long count;
    private volatile Throwable failure;

    SourceInputStream(InputStream in) {
        super(in);
    }

    /** Bytes read from the source so far. */
    long count() {
        return count;
    }

    /** The last exception thrown by the source, or {@code null}. */
    Throwable failure() {
        return failure;
    }

    @Override
    public int read() throws IOException {
        try {
            int b = in.read();
            if (b >= 0) {
                count++;
            }
            return b;
        } catch (IOException | RuntimeException e) {
            failure = e;
            throw e;
        }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        try {
            int n = in.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        } catch (IOException | RuntimeException e) {
            failure = e;
            throw e;
        }
    }

    @Override
    public long skip(long n) throws IOException {
        try {
            long skipped = in.skip(n);
            if (skipped > 0) {
                count += skipped;
            }
            return skipped;
        } catch (IOException | RuntimeException e) {
            failure = e;
            throw e;
        }
    }

    @Override
    public int available() throws IOException {
        try {
            return in.available();
        } catch (IOException | RuntimeException e) {
            failure = e;
            throw e;
        }
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
}
