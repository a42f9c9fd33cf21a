package io.chronik.compression.internal;

import io.chronik.api.compression.CompressionCodec;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.OutputStream;

import org.apache.commons.compress.compressors.lz4.FramedLZ4CompressorInputStream;
import org.osgi.service.component.annotations.Component;

/**
 * LZ4 frame format. Written by {@link Lz4FrameOutputStream}: one frame of independent 64 KiB blocks (as Kafka uses),
 * an xxHash32 checksum per block (so corrupt data is caught before it is returned) and the content checksum. Read by
 * Commons Compress' {@code FramedLZ4CompressorInputStream}, which verifies those checksums; concatenated and
 * skippable frames are accepted, a stream that ends before a frame's end mark and content checksum fails.
 */
@Component(name = Lz4Codec.PID, service = CompressionCodec.class, property = CompressionCodec.CODEC_NAME + "=" + Lz4Codec.NAME)
public final class Lz4Codec extends AbstractCodec {

    static final String NAME = "lz4";
    static final String PID = "io.chronik.compression.lz4";

    public Lz4Codec() {
        super(NAME);
    }

    @Override
    OutputStream openCompressor(OutputStream out) throws IOException {
        return new Lz4FrameOutputStream(out);
    }

    @Override
    DecompressingInputStream newDecompressingStream(SourceInputStream source) {
        return new DecompressingInputStream(NAME, source,
                () -> new FramedLZ4CompressorInputStream(new BufferedInputStream(source, BUFFER_SIZE), true));
    }
}
