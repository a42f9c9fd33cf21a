package io.chronik.compression.internal;

import io.chronik.api.compression.CompressionCodec;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.Objects;

import org.osgi.service.component.annotations.Component;

/**
 * The identity codec: {@link #compress} and {@link #decompress} return the given streams themselves. There is no
 * format, so nothing can be detected: a truncated or corrupted "none" stream reads as exactly the bytes that are
 * there, and every exception is the wrapped stream's own. Callers that need integrity must checksum the data
 * themselves (or use a real codec).
 */
@Component(name = NoneCodec.PID, service = CompressionCodec.class, property = CompressionCodec.CODEC_NAME + "=" + NoneCodec.NAME)
public final class NoneCodec implements CompressionCodec {

    static final String NAME = "none";
    static final String PID = "io.chronik.compression.none";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public OutputStream compress(OutputStream out) {
        return Objects.requireNonNull(out, "out");
    }

    @Override
    public InputStream decompress(InputStream in) {
        return Objects.requireNonNull(in, "in");
    }

    @Override
    public String toString() {
        return "NoneCodec[" + CODEC_NAME + "=" + NAME + "]";
    }
}
