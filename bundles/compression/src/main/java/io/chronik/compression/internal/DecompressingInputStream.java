package io.chronik.compression.internal;

import io.chronik.api.compression.CorruptDataException;

import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;

/**
 * The stream every real codec's {@code decompress} returns. It
 * <ul>
 * <li>opens the library decoder lazily, on the first read, so that header errors surface from {@code read} like all
 * other format errors;</li>
 * <li>turns every exception of the decoder (Commons Compress, zstd-jni, java.util.zip: {@code IOException}s such as
 * {@code EOFException}/{@code ZipException}/{@code ZstdIOException}, and {@code RuntimeException}s such as
 * {@code ZstdException}, {@code IllegalArgumentException}, {@code IndexOutOfBoundsException}) into a
 * {@link CorruptDataException} naming the codec, except exceptions thrown by the caller's own stream, which are
 * rethrown unchanged; {@link Error}s (for example a missing native library) are not touched;</li>
 * <li>at the decoder's end of stream rejects empty input and runs the codec's end-of-stream check;</li>
 * <li>is sticky after corruption: once a {@link CorruptDataException} was thrown, every further read throws it
 * again instead of returning more (possibly wrong) data.</li>
 * </ul>
 * Skipping goes through {@link #read(byte[], int, int)}, so skipped data is verified like read data.
 */
final class DecompressingInputStream extends InputStream {

    /** Opens the library decoder over the (guarded) source. */
    @FunctionalInterface
    interface DecoderOpener {
        InputStream open() throws IOException;
    }

    /** Checks, once the decoder reported its end of stream, that the stream really is complete. */
    @FunctionalInterface
    interface EndCheck {
        /** @param decodedBytes total number of bytes decoded; throws CorruptDataException if incomplete */
        void verify(long decodedBytes) throws CorruptDataException;
    }

    private static final EndCheck NO_END_CHECK = decoded -> { };

    private final String codec;
    private final SourceInputStream source;
    private final DecoderOpener opener;
    private final EndCheck endCheck;
    private final byte[] single = new byte[1];

    private InputStream decoder;
    private long decoded;
    private boolean endReached;
    private boolean closed;
    private CorruptDataException corruption;

    DecompressingInputStream(String codec, SourceInputStream source, DecoderOpener opener) {
        this(codec, source, opener, NO_END_CHECK);
    }

    DecompressingInputStream(String codec, SourceInputStream source, DecoderOpener opener, EndCheck endCheck) {
        this.codec = codec;
        this.source = source;
        this.opener = opener;
        this.endCheck = endCheck;
    }

    @Override
    public int read() throws IOException {
        int n = read(single, 0, 1);
        return n < 0 ? -1 : single[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        ensureOpen();
        if (corruption != null) {
            throw corruption;
        }
        if (len == 0) {
            return 0;
        }
        if (endReached) {
            return -1;
        }
        try {
            if (decoder == null) {
                decoder = opener.open();
            }
            int n = decoder.read(b, off, len);
            if (n < 0) {
                verifyEnd();
                endReached = true;
                return -1;
            }
            decoded += n;
            return n;
        } catch (IOException | RuntimeException e) {
            throw translate(e);
        }
    }

    @Override
    public int available() throws IOException {
        ensureOpen();
        if (decoder == null || endReached || corruption != null) {
            return 0;
        }
        try {
            return decoder.available();
        } catch (IOException | RuntimeException e) {
            throw translate(e);
        }
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        if (decoder != null) {
            decoder.close(); // closes the source
        } else {
            source.close();
        }
    }

    private void ensureOpen() throws IOException {
        if (closed) {
            throw new IOException(codec + " stream closed");
        }
    }

    private void verifyEnd() throws CorruptDataException {
        if (source.count() == 0) {
            throw new CorruptDataException(codec + ": empty input is not a " + codec + " stream");
        }
        endCheck.verify(decoded);
    }

    /**
     * Returns the exception to throw for {@code e}: the source's own exception unchanged, else a
     * {@link CorruptDataException} (which becomes sticky). A source RuntimeException is rethrown directly.
     */
    private IOException translate(Exception e) {
        if (e instanceof CorruptDataException) {
            corruption = (CorruptDataException) e;
            return corruption;
        }
        Throwable sourceFailure = source.failure();
        if (sourceFailure != null) {
            int depth = 0;
            for (Throwable t = e; t != null && depth < 16; t = t.getCause(), depth++) {
                if (t == sourceFailure) {
                    if (t instanceof IOException) {
                        return (IOException) t;
                    }
                    if (t instanceof RuntimeException) {
                        throw (RuntimeException) t;
                    }
                }
            }
        }
        String detail = e.getMessage() == null || e.getMessage().isBlank()
                ? e.getClass().getName()
                : e.getClass().getName() + ": " + e.getMessage();
        corruption = new CorruptDataException(
                codec + ": corrupt or truncated compressed data after " + decoded + " decoded bytes (" + detail + ")", e);
        return corruption;
    }
}
