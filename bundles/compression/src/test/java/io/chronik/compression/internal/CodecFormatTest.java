package io.chronik.compression.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import io.chronik.api.compression.CompressionCodec;
import io.chronik.api.compression.CorruptDataException;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

import org.apache.commons.compress.compressors.lz4.FramedLZ4CompressorInputStream;
import org.apache.commons.compress.compressors.lz4.FramedLZ4CompressorOutputStream;
import org.apache.commons.compress.compressors.snappy.FramedSnappyCompressorInputStream;
import org.apache.commons.compress.compressors.snappy.FramedSnappyCompressorOutputStream;
import org.junit.Test;

import com.github.luben.zstd.Zstd;

/** Codec-specific format details: interoperability with the reference implementations, options, limits. */
public class CodecFormatTest {

    private final byte[] data;

    public CodecFormatTest() throws IOException {
        data = TestData.mixed(300_000, 21);
    }

    @Test
    public void gzipIsStandardGzip() throws IOException {
        GzipCodec codec = new GzipCodec();
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(TestData.compress(codec, data)))) {
            assertArrayEquals(data, in.readAllBytes());
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream out = new GZIPOutputStream(bytes)) {
            out.write(data);
        }
        assertArrayEquals(data, TestData.decompress(codec, bytes.toByteArray()));
    }

    @Test
    public void gzipLevelsAreApplied() throws IOException {
        int fast = TestData.compress(new GzipCodec(1), data).length;
        int best = TestData.compress(new GzipCodec(9), data).length;
        assertTrue(fast + " > " + best, fast > best);
        assertEquals(GzipCodec.DEFAULT_LEVEL, new GzipCodec(42).level());
        assertArrayEquals(data, TestData.decompress(new GzipCodec(), TestData.compress(new GzipCodec(0), data)));
    }

    @Test
    public void zstdIsStandardZstdWithChecksum() throws IOException {
        byte[] compressed = TestData.compress(new ZstdCodec(), data);
        // frame header descriptor: Content_Checksum_flag is bit 2
        assertEquals(0xFD2FB528, (compressed[0] & 0xff) | (compressed[1] & 0xff) << 8 | (compressed[2] & 0xff) << 16
                | (compressed[3] & 0xff) << 24);
        assertTrue("content checksum flag", (compressed[4] & 0x04) != 0);
        assertArrayEquals(data, Zstd.decompress(compressed, data.length));
        assertArrayEquals(data, TestData.decompress(new ZstdCodec(), Zstd.compress(data, 19)));
    }

    @Test
    public void zstdLevelsAreClamped() {
        assertEquals(ZstdCodec.DEFAULT_LEVEL, new ZstdCodec().level());
        assertEquals(Zstd.maxCompressionLevel(), new ZstdCodec(99).level());
        assertEquals(-5, new ZstdCodec(-5).level());
    }

    @Test
    public void lz4IsStandardFramedLz4() throws IOException {
        Lz4Codec codec = new Lz4Codec();
        byte[] compressed = TestData.compress(codec, data);
        assertEquals("block + content checksum, independent blocks", 0x40 | 0x20 | 0x10 | 0x04, compressed[4] & 0xff);
        try (InputStream in = new FramedLZ4CompressorInputStream(new ByteArrayInputStream(compressed))) {
            assertArrayEquals(data, in.readAllBytes());
        }
        // default parameters of other writers: 4 MiB blocks, no block checksums (Commons' writer is slow: keep it short)
        byte[] input = Arrays.copyOf(data, 30_000);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream out = new FramedLZ4CompressorOutputStream(bytes)) {
            out.write(input);
        }
        assertArrayEquals(input, TestData.decompress(codec, bytes.toByteArray()));
    }

    @Test
    public void lz4EncoderEdgeCases() throws IOException {
        Lz4Codec codec = new Lz4Codec();
        java.util.SplittableRandom random = new java.util.SplittableRandom(23);
        for (int length = 0; length <= 300; length++) {
            byte[] zeros = new byte[length];
            byte[] text = Arrays.copyOf(data, length);
            byte[] noise = new byte[length];
            random.nextBytes(noise);
            byte[] runs = new byte[length];
            for (int i = 0; i < length; i++) {
                runs[i] = (byte) ((i / 7) % 3);
            }
            for (byte[] input : new byte[][] {zeros, text, noise, runs}) {
                assertArrayEquals("length " + length, input, TestData.decompress(codec, TestData.compress(codec, input)));
            }
        }
        // exactly one block, one block and one byte, long runs across blocks, matches at the maximum distance
        byte[] twoBlocks = new byte[2 * Lz4Codec.BLOCK_SIZE + 1];
        random.nextBytes(twoBlocks);
        System.arraycopy(twoBlocks, 0, twoBlocks, Lz4Codec.BLOCK_SIZE - 100, 100);
        for (int length : new int[] {Lz4Codec.BLOCK_SIZE, Lz4Codec.BLOCK_SIZE + 1, twoBlocks.length}) {
            byte[] input = Arrays.copyOf(twoBlocks, length);
            assertArrayEquals(input, TestData.decompress(codec, TestData.compress(codec, input)));
            byte[] zeros = new byte[length];
            assertArrayEquals(zeros, TestData.decompress(codec, TestData.compress(codec, zeros)));
        }
    }

    @Test
    public void flushMakesEverythingWrittenSoFarDecodable() throws IOException {
        for (CompressionCodec codec : new CompressionCodec[] {new ZstdCodec(), new Lz4Codec()}) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            OutputStream out = codec.compress(bytes);
            out.write(data, 0, 1000);
            out.flush();
            try (InputStream in = new FramedOrZstdPrefixReader(codec, bytes.toByteArray())) {
                byte[] prefix = in.readNBytes(1000);
                assertArrayEquals(codec.name(), Arrays.copyOf(data, 1000), prefix);
            }
            out.write(data, 1000, data.length - 1000);
            out.close();
            assertArrayEquals(data, TestData.decompress(codec, bytes.toByteArray()));
        }
    }

    /** Reads the first bytes of an unfinished stream with the library decoders directly (the codec would reject it). */
    private static final class FramedOrZstdPrefixReader extends java.io.FilterInputStream {
        FramedOrZstdPrefixReader(CompressionCodec codec, byte[] partial) throws IOException {
            super(codec instanceof ZstdCodec
                    ? new org.apache.commons.compress.compressors.zstandard.ZstdCompressorInputStream(new ByteArrayInputStream(partial))
                    : new FramedLZ4CompressorInputStream(new ByteArrayInputStream(partial)));
        }
    }

    @Test
    public void snappyStreamsEndWithTheEndOfStreamChunkThatOtherReadersSkip() throws IOException {
        SnappyCodec codec = new SnappyCodec();
        byte[] compressed = TestData.compress(codec, data);
        byte[] tail = Arrays.copyOfRange(compressed, compressed.length - 20, compressed.length);
        assertArrayEquals(SnappyEndOfStream.chunk(data.length), tail);
        try (InputStream in = new FramedSnappyCompressorInputStream(new ByteArrayInputStream(compressed))) {
            assertArrayEquals(data, in.readAllBytes());
        }
    }

    @Test
    public void snappyStreamWithoutEndOfStreamChunkIsRejected() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream out = new FramedSnappyCompressorOutputStream(bytes)) {
            out.write(data);
        }
        assertCorrupt(new SnappyCodec(), bytes.toByteArray(), "does not end with the end-of-stream chunk");
    }

    @Test
    public void snappyLengthMismatchIsRejected() throws IOException {
        byte[] compressed = TestData.compress(new SnappyCodec(), data);
        byte[] wrongLength = SnappyEndOfStream.chunk(data.length + 1);
        System.arraycopy(wrongLength, 0, compressed, compressed.length - wrongLength.length, wrongLength.length);
        assertCorrupt(new SnappyCodec(), compressed, "announces " + (data.length + 1));
    }

    @Test
    public void snappyChunkDroppedInTheMiddleIsRejected() throws IOException {
        byte[] compressed = TestData.compress(new SnappyCodec(), data);
        var chunks = CodecContractTest.snappyBoundaries(compressed);
        int from = chunks.get(2);
        int to = chunks.get(3);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.write(compressed, 0, from);
        bytes.write(compressed, to, compressed.length - to);
        assertCorrupt(new SnappyCodec(), bytes.toByteArray(), "announces");
    }

    @Test
    public void messagesNameTheCodecAndKeepTheCause() throws IOException {
        byte[] compressed = TestData.compress(new GzipCodec(), data);
        try (InputStream in = new GzipCodec().decompress(new ByteArrayInputStream(Arrays.copyOf(compressed, 1000)))) {
            in.readAllBytes();
            fail();
        } catch (CorruptDataException e) {
            assertTrue(e.getMessage(), e.getMessage().startsWith("gzip: corrupt or truncated compressed data"));
            assertTrue(e.getCause() instanceof java.io.EOFException);
        }
    }

    private static void assertCorrupt(CompressionCodec codec, byte[] compressed, String messagePart) throws IOException {
        try (InputStream in = codec.decompress(new ByteArrayInputStream(compressed))) {
            in.readAllBytes();
            fail("no CorruptDataException");
        } catch (CorruptDataException e) {
            assertTrue(e.getMessage(), e.getMessage().contains(messagePart));
        }
    }
}
