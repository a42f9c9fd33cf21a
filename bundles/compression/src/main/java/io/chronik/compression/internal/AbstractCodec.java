package io.chronik.compression.internal;

import io.chronik.api.compression.CompressionCodec;
import io.chronik.api.compression.CorruptDataException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Objects;

/**
 * Base of the real (compressing) codecs: decompression always goes through {@link DecompressingInputStream}, which
 * maps every decoder failure to {@link CorruptDataException}, rejects empty input and runs the codec's end-of-stream
 * check.
 */
abstract class AbstractCodec implements CompressionCodec {

    /** Buffer between the caller's streams and the decoders, which read headers byte by byte. */
    static final int BUFFER_SIZE = 64 * 1024;

    private final String name;

    AbstractCodec(String name) {
        this.name = name;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final OutputStream compress(OutputStream out) throws IOException {
        return openCompressor(Objects.requireNonNull(out, "out"));
    }

    @Override
    public final InputStream decompress(InputStream in) {
        return newDecompressingStream(new SourceInputStream(Objects.requireNonNull(in, "in")));
    }

    /** Wraps {@code out}; closing the result finishes the compressed stream and closes {@code out}. */
    abstract OutputStream openCompressor(OutputStream out) throws IOException;

    /** Builds the decompressing stream over the guarded source. */
    abstract DecompressingInputStream newDecompressingStream(SourceInputStream source);

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + CODEC_NAME + "=" + name + "]";
    }
}
