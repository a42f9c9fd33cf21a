package io.chronik.compression.internal;

import io.chronik.api.compression.CompressionCodec;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;

import org.apache.commons.compress.compressors.snappy.FramedSnappyCompressorInputStream;
import org.apache.commons.compress.compressors.snappy.FramedSnappyCompressorOutputStream;
import org.osgi.service.component.annotations.Component;

/**
 * Snappy framing format on Commons Compress; every chunk carries a masked CRC32C of its data, which is verified.
 *
 * <p>The framing format has no end marker, so a stream cut at a chunk boundary would read as a valid, shorter
 * stream. This codec therefore ends every stream it writes with an end-of-stream chunk of a reserved skippable type
 * ({@link SnappyEndOfStream}: magic and the number of uncompressed bytes), which standard decoders skip, and when
 * reading requires that the stream ends with that chunk and that the counts add up. Consequently a framed Snappy
 * stream written by another tool (without that chunk) is rejected as truncated.
 */
@Component(name = SnappyCodec.PID, service = CompressionCodec.class, property = CompressionCodec.CODEC_NAME + "=" + SnappyCodec.NAME)
public final class SnappyCodec extends AbstractCodec {

    static final String NAME = "snappy";
    static final String PID = "io.chronik.compression.snappy";

    public SnappyCodec() {
        super(NAME);
    }

    @Override
    OutputStream openCompressor(OutputStream out) throws IOException {
        return new SnappyEndOfStream.Writer(new BufferedOutputStream(out, BUFFER_SIZE),
                FramedSnappyCompressorOutputStream::new);
    }

    @Override
    DecompressingInputStream newDecompressingStream(SourceInputStream source) {
        SnappyEndOfStream.Tracker tracker = new SnappyEndOfStream.Tracker(source);
        return new DecompressingInputStream(NAME, source,
                () -> new FramedSnappyCompressorInputStream(new BufferedInputStream(tracker, BUFFER_SIZE)),
                tracker::verifyEnd);
    }
}
