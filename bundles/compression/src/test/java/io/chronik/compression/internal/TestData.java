package io.chronik.compression.internal;

import io.chronik.api.compression.CompressionCodec;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import java.util.zip.CRC32;

/** Test inputs and helpers shared by the codec tests. */
final class TestData {

    private TestData() {
    }

    /** A pool of log-like text, compressible but not trivially so. */
    private static final byte[] TEXT_POOL = textPool(1 << 20, 42);

    private static byte[] textPool(int size, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        String[] levels = {"INFO", "DEBUG", "WARN", "TRACE"};
        String[] verbs = {"appended batch", "fetched", "committed", "replicated", "snapshot taken", "segment rolled"};
        StringBuilder sb = new StringBuilder(size + 256);
        while (sb.length() < size) {
            sb.append("2025-").append(1 + random.nextInt(12)).append('-').append(1 + random.nextInt(28))
                    .append('T').append(random.nextInt(24)).append(':').append(random.nextInt(60)).append(':')
                    .append(random.nextInt(60)).append('.').append(random.nextInt(1000)).append("Z ")
                    .append(levels[random.nextInt(levels.length)]).append(" [partition-").append(random.nextInt(64))
                    .append("] ").append(verbs[random.nextInt(verbs.length)]).append(" offset=")
                    .append(random.nextLong(1L << 40)).append(" size=").append(random.nextInt(1 << 20))
                    .append(" producer=p-").append(random.nextInt(1000)).append('\n');
        }
        return sb.substring(0, size).getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * A deterministic stream of {@code size} bytes, produced on the fly: 8 KiB blocks, about a quarter random
     * (incompressible), the rest slices of log-like text.
     */
    static InputStream mixedContent(long size, long seed) {
        return new InputStream() {
            private final SplittableRandom random = new SplittableRandom(seed);
            private final byte[] block = new byte[8192];
            private int blockPos = block.length;
            private int blockLen = block.length;
            private long remaining = size;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (len == 0) {
                    return 0;
                }
                if (remaining == 0) {
                    return -1;
                }
                if (blockPos == blockLen) {
                    fill();
                }
                int n = Math.min(len, blockLen - blockPos);
                System.arraycopy(block, blockPos, b, off, n);
                blockPos += n;
                remaining -= n;
                return n;
            }

            private void fill() {
                blockLen = (int) Math.min(block.length, remaining);
                if (random.nextInt(4) == 0) {
                    random.nextBytes(block);
                } else {
                    int start = random.nextInt(TEXT_POOL.length - block.length);
                    System.arraycopy(TEXT_POOL, start, block, 0, block.length);
                }
                blockPos = 0;
            }
        };
    }

    static byte[] mixed(int size, long seed) throws IOException {
        return mixedContent(size, seed).readAllBytes();
    }

    static byte[] compress(CompressionCodec codec, byte[] data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream out = codec.compress(bytes)) {
            out.write(data);
        }
        return bytes.toByteArray();
    }

    static byte[] decompress(CompressionCodec codec, byte[] compressed) throws IOException {
        try (InputStream in = codec.decompress(new ByteArrayInputStream(compressed))) {
            return in.readAllBytes();
        }
    }

    /** Copies {@code in} to {@code out}, returning the number of bytes and updating {@code crc}. */
    static long copy(InputStream in, OutputStream out, CRC32 crc) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        long total = 0;
        int n;
        while ((n = in.read(buffer)) >= 0) {
            if (crc != null) {
                crc.update(buffer, 0, n);
            }
            if (out != null) {
                out.write(buffer, 0, n);
            }
            total += n;
        }
        return total;
    }
}
