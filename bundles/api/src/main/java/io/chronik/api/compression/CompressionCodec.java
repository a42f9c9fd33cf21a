package io.chronik.api.compression;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * A streaming compression codec. Each codec is registered as its own service with the
 * {@value #CODEC_NAME} property ({@code gzip}, {@code zstd}, {@code lz4}, {@code snappy}, {@code none}), so a
 * consumer selects one with a target filter such as {@code (codec.name=zstd)} and a codec bundle can be
 * stopped and started without restarting its consumers.
 *
 * <p><b>Blocking.</b> The streams returned block like any {@code java.io} stream; nothing is buffered beyond
 * the codec's own frame size, so inputs of any length can be processed in constant memory.
 *
 * <p><b>Thread-safety.</b> The codec service is thread-safe and stateless; each stream it returns belongs to
 * one thread at a time.
 *
 * <p><b>Errors.</b> Reading a truncated or corrupted compressed stream fails with
 * {@link CorruptDataException} (never silently returns wrong or short data); other {@link IOException}s come
 * from the wrapped stream.
 */
@org.osgi.annotation.versioning.ProviderType
public interface CompressionCodec {

    /** Service property naming the codec. */
    String CODEC_NAME = "codec.name";

    /** The codec's name, equal to its {@value #CODEC_NAME} service property. */
    String name();

    /**
     * Wraps {@code out} in a compressing stream. Closing the returned stream finishes the compressed stream
     * and closes {@code out}.
     */
    OutputStream compress(OutputStream out) throws IOException;

    /**
     * Wraps {@code in} in a decompressing stream. Closing the returned stream closes {@code in}. Reads throw
     * {@link CorruptDataException} if the compressed data is truncated or corrupted.
     */
    InputStream decompress(InputStream in) throws IOException;
}
