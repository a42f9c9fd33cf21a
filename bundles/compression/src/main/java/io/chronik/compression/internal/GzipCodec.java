package io.chronik.compression.internal;

import io.chronik.api.compression.CompressionCodec;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.zip.Deflater;

import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipParameters;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * gzip (RFC 1952) on Commons Compress. Every member carries a CRC32 and the uncompressed size (mod 2^32) of its data,
 * both verified; a stream without its trailer fails. Concatenated members are decoded like {@code gunzip} does, data
 * after the last member that is not another member is an error.
 */
@Component(name = GzipCodec.PID, service = CompressionCodec.class, property = CompressionCodec.CODEC_NAME + "=" + GzipCodec.NAME)
@Designate(ocd = GzipCodec.Config.class)
public final class GzipCodec extends AbstractCodec {

    static final String NAME = "gzip";
    static final String PID = "io.chronik.compression.gzip";
    static final int DEFAULT_LEVEL = 6;

    private static final Logger LOG = LoggerFactory.getLogger(GzipCodec.class);

    @ObjectClassDefinition(name = "Chronik gzip codec", description = "The gzip compression codec service (codec.name=gzip).")
    public @interface Config {
        @AttributeDefinition(name = "Compression level", description = "Deflate level, 1 (fastest) to 9 (smallest); 0 stores uncompressed.", min = "0", max = "9")
        int level() default DEFAULT_LEVEL;
    }

    private final int level;

    /** Default level; for use outside DS. */
    public GzipCodec() {
        this(DEFAULT_LEVEL);
    }

    @Activate
    public GzipCodec(Config config) {
        this(config.level());
    }

    GzipCodec(int level) {
        super(NAME);
        if (level < Deflater.NO_COMPRESSION || level > Deflater.BEST_COMPRESSION) {
            LOG.warn("gzip compression level {} is out of range 0..9, using {}", level, DEFAULT_LEVEL);
            level = DEFAULT_LEVEL;
        }
        this.level = level;
    }

    int level() {
        return level;
    }

    @Override
    OutputStream openCompressor(OutputStream out) throws IOException {
        GzipParameters parameters = new GzipParameters();
        parameters.setCompressionLevel(level);
        parameters.setBufferSize(BUFFER_SIZE); // deflate output is written to out in chunks of this size
        return new GzipCompressorOutputStream(out, parameters);
    }

    @Override
    DecompressingInputStream newDecompressingStream(SourceInputStream source) {
        return new DecompressingInputStream(NAME, source, () -> GzipCompressorInputStream.builder()
                .setInputStream(new BufferedInputStream(source, BUFFER_SIZE))
                .setDecompressConcatenated(true)
                .get());
    }
}
