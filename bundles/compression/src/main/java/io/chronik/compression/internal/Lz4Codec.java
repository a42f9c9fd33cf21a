package io.chronik.compression.internal;

import io.chronik.api.compression.CompressionCodec;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.OutputStream;

import org.apache.commons.compress.compressors.lz4.FramedLZ4CompressorInputStream;

import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4FrameOutputStream;
import net.jpountz.xxhash.XXHashFactory;
import org.osgi.service.component.annotations.Component;

/**
 * LZ4 frame format. Written by lz4-java's {@code LZ4FrameOutputStream} (pure-Java compressor and xxHash32): one
 * frame of independent 64 KiB blocks (as Kafka uses), an xxHash32 checksum per block (so corrupt data is caught
 * before it is returned) and the content checksum. (Commons Compress' own LZ4 block compressor is quadratic per
 * window: about 0.1 MB/s on log-like data.) Read by Commons Compress' {@code FramedLZ4CompressorInputStream}, which
 * verifies those checksums; concatenated and skippable frames are accepted, a stream that ends before a frame's end
 * mark and content checksum fails.
 */
@Component(name = Lz4Codec.PID, service = CompressionCodec.class, property = CompressionCodec.CODEC_NAME + "=" + Lz4Codec.NAME)
public final class Lz4Codec extends AbstractCodec {

    static final String NAME = "lz4";
    /** The frame's block size. */
    static final int BLOCK_SIZE = 64 * 1024;
    static final String PID = "io.chronik.compression.lz4";

    public Lz4Codec() {
        super(NAME);
    }

    @Override
    OutputStream openCompressor(OutputStream out) throws IOException {
        return new LZ4FrameOutputStream(out, LZ4FrameOutputStream.BLOCKSIZE.SIZE_64KB, -1L,
                LZ4Factory.fastestJavaInstance().fastCompressor(), XXHashFactory.fastestJavaInstance().hash32(),
                LZ4FrameOutputStream.FLG.Bits.BLOCK_INDEPENDENCE, LZ4FrameOutputStream.FLG.Bits.BLOCK_CHECKSUM,
                LZ4FrameOutputStream.FLG.Bits.CONTENT_CHECKSUM);
    }

    @Override
    DecompressingInputStream newDecompressingStream(SourceInputStream source) {
        return new DecompressingInputStream(NAME, source,
                () -> new FramedLZ4CompressorInputStream(new BufferedInputStream(source, BUFFER_SIZE), true));
    }
}
