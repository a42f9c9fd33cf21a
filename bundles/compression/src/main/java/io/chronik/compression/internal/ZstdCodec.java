package io.chronik.compression.internal;

import io.chronik.api.compression.CompressionCodec;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.OutputStream;

import org.apache.commons.compress.compressors.zstandard.ZstdCompressorInputStream;
import org.apache.commons.compress.compressors.zstandard.ZstdCompressorOutputStream;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.github.luben.zstd.Zstd;

/**
 * Zstandard on Commons Compress and zstd-jni (embedded with its native libraries, which zstd-jni extracts to the
 * temporary directory, or {@code -DZstdTempFolder}, on first use). Frames are written with the 32-bit content
 * checksum, which zstd-jni verifies. An input that ends inside a frame fails ("Truncated source"); an input without
 * any frame (empty) is rejected by {@link DecompressingInputStream}.
 */
@Component(name = ZstdCodec.PID, service = CompressionCodec.class, property = CompressionCodec.CODEC_NAME + "=" + ZstdCodec.NAME)
@Designate(ocd = ZstdCodec.Config.class)
public final class ZstdCodec extends AbstractCodec {

    static final String NAME = "zstd";
    static final String PID = "io.chronik.compression.zstd";
    static final int DEFAULT_LEVEL = 3;

    private static final Logger LOG = LoggerFactory.getLogger(ZstdCodec.class);

    @ObjectClassDefinition(name = "Chronik zstd codec", description = "The Zstandard compression codec service (codec.name=zstd).")
    public @interface Config {
        @AttributeDefinition(name = "Compression level", description = "Zstandard level: 1 (fast) to 22 (small), negative levels are faster still; 3 is zstd's default.", min = "-7", max = "22")
        int level() default DEFAULT_LEVEL;
    }

    private final int level;

    /** Default level; for use outside DS. */
    public ZstdCodec() {
        this(DEFAULT_LEVEL);
    }

    /**
     * Loads the native library here, so that on a platform without one the component fails to activate (and SCR
     * logs why) instead of registering a codec that fails on every use.
     */
    @Activate
    public ZstdCodec(Config config) {
        this(config.level());
    }

    ZstdCodec(int level) {
        super(NAME);
        int min = Zstd.minCompressionLevel(); // loads the native library
        int max = Zstd.maxCompressionLevel();
        if (level < min || level > max) {
            int clamped = Math.max(min, Math.min(max, level));
            LOG.warn("zstd compression level {} is out of range {}..{}, using {}", level, min, max, clamped);
            level = clamped;
        }
        this.level = level;
    }

    int level() {
        return level;
    }

    @Override
    OutputStream openCompressor(OutputStream out) throws IOException {
        return ZstdCompressorOutputStream.builder()
                .setOutputStream(out)
                .setLevel(level)
                .setChecksum(true)
                .setCloseFrameOnFlush(false)
                .get();
    }

    @Override
    DecompressingInputStream newDecompressingStream(SourceInputStream source) {
        return new DecompressingInputStream(NAME, source,
                () -> new ZstdCompressorInputStream(new BufferedInputStream(source, BUFFER_SIZE)));
    }
}
