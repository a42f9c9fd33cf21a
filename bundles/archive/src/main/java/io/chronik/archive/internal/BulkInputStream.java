package io.chronik.archive.internal;

import java.io.IOException;
import java.io.InputStream;

/** An input stream whose subclasses implement only the bulk {@code read}; the single-byte read goes through it. */
abstract class BulkInputStream extends InputStream {
    private final byte[] one = new byte[1];

    @Override
    public final int read() throws IOException {
        int n = read(one, 0, 1);
        return n <= 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public abstract int read(byte[] b, int off, int len) throws IOException;
}
