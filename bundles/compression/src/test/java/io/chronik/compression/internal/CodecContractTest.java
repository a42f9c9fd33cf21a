package io.chronik.compression.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.junit.Assume.assumeTrue;

import io.chronik.api.compression.CompressionCodec;
import io.chronik.api.compression.CorruptDataException;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.zip.CRC32;

import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameters;

/** The {@link CompressionCodec} contract, checked for every codec. */
@RunWith(Parameterized.class)
public class CodecContractTest {

    private static final long BIG = 64L << 20;

    @Parameters(name = "{0}")
    public static Collection<Object[]> codecs() {
        return Arrays.asList(
                codec("gzip", GzipCodec::new, true, CodecContractTest::gzipBoundaries),
                codec("zstd", ZstdCodec::new, true, c -> List.of(c.length - 4)),
                codec("lz4", Lz4Codec::new, true, CodecContractTest::lz4Boundaries),
                codec("snappy", SnappyCodec::new, true, CodecContractTest::snappyBoundaries),
                codec("none", NoneCodec::new, false, c -> List.of()));
    }

    private static Object[] codec(String name, Supplier<CompressionCodec> codec, boolean detects,
            Function<byte[], List<Integer>> boundaries) {
        return new Object[] {name, codec, detects, boundaries};
    }

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private final String name;
    private final Supplier<CompressionCodec> factory;
    /** Whether the codec has a format in which truncation and corruption can be detected (all but none). */
    private final boolean detects;
    /** Offsets of structural boundaries (blocks, chunks, trailers) in a compressed stream, to truncate at. */
    private final Function<byte[], List<Integer>> boundaries;
    private CompressionCodec codec;

    public CodecContractTest(String name, Supplier<CompressionCodec> factory, boolean detects,
            Function<byte[], List<Integer>> boundaries) {
        this.name = name;
        this.factory = factory;
        this.detects = detects;
        this.boundaries = boundaries;
    }

    @Before
    public void createCodec() {
        codec = factory.get();
    }

    @Test
    public void nameIsTheCodecName() {
        assertEquals(name, codec.name());
    }

    @Test
    public void emptyRoundTrip() throws IOException {
        byte[] compressed = TestData.compress(codec, new byte[0]);
        assertEquals(detects, compressed.length > 0);
        assertArrayEquals(new byte[0], TestData.decompress(codec, compressed));
    }

    @Test
    public void smallRoundTrips() throws IOException {
        for (byte[] data : List.of(new byte[] {42}, "abc".getBytes(StandardCharsets.US_ASCII),
                "hello, hello, hello, chronik".getBytes(StandardCharsets.US_ASCII), TestData.mixed(300, 1))) {
            assertArrayEquals(data, TestData.decompress(codec, TestData.compress(codec, data)));
        }
    }

    @Test
    public void singleByteWritesAndReads() throws IOException {
        byte[] data = TestData.mixed(20_000, 2);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream out = codec.compress(bytes)) {
            for (byte b : data) {
                out.write(b);
            }
        }
        ByteArrayOutputStream decoded = new ByteArrayOutputStream();
        try (InputStream in = codec.decompress(new ByteArrayInputStream(bytes.toByteArray()))) {
            int b;
            while ((b = in.read()) >= 0) {
                decoded.write(b);
            }
            assertEquals(-1, in.read());
        }
        assertArrayEquals(data, decoded.toByteArray());
    }

    @Test
    public void skipIsVerifiedLikeRead() throws IOException {
        byte[] data = TestData.mixed(300_000, 3);
        try (InputStream in = codec.decompress(new ByteArrayInputStream(TestData.compress(codec, data)))) {
            assertEquals(100_000, in.skip(100_000));
            byte[] rest = in.readAllBytes();
            assertArrayEquals(Arrays.copyOfRange(data, 100_000, data.length), rest);
        }
    }

    /** 64 MiB, partly compressible, streamed through a temporary file and compared by CRC32. */
    @Test
    public void bigRoundTrip() throws IOException {
        File file = tmp.newFile(name + ".bin");
        CRC32 inputCrc = new CRC32();
        long written;
        try (OutputStream out = codec.compress(Files.newOutputStream(file.toPath()))) {
            written = TestData.copy(TestData.mixedContent(BIG, 64), out, inputCrc);
        }
        assertEquals(BIG, written);
        if (detects) {
            assertTrue("compressed size " + file.length(), file.length() < BIG * 3 / 4);
        }
        CRC32 outputCrc = new CRC32();
        long read;
        try (InputStream in = codec.decompress(Files.newInputStream(file.toPath()))) {
            read = TestData.copy(in, null, outputCrc);
        }
        assertEquals(BIG, read);
        assertEquals(inputCrc.getValue(), outputCrc.getValue());
    }

    @Test
    public void concatenatedStreamsDecodeToConcatenatedData() throws IOException {
        assumeTrue(detects);
        byte[] a = TestData.mixed(100_000, 4);
        byte[] b = TestData.mixed(70_000, 5);
        ByteArrayOutputStream both = new ByteArrayOutputStream();
        both.write(TestData.compress(codec, a));
        both.write(TestData.compress(codec, b));
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.write(a);
        expected.write(b);
        assertArrayEquals(expected.toByteArray(), TestData.decompress(codec, both.toByteArray()));
    }

    @Test
    public void truncatedStreamIsCorrupt() throws IOException {
        assumeTrue(detects);
        // small: every possible truncation
        byte[] small = TestData.compress(codec, "a few bytes".getBytes(StandardCharsets.US_ASCII));
        for (int length = 0; length < small.length; length++) {
            assertCorrupt(Arrays.copyOf(small, length), "truncated to " + length + " of " + small.length);
        }
        // several blocks/chunks: every structural boundary (+-2), the start and the end exhaustively, samples between
        byte[] compressed = TestData.compress(codec, TestData.mixed(200_000, 6));
        TreeSet<Integer> lengths = new TreeSet<>();
        for (int boundary : boundaries.apply(compressed)) {
            for (int d = -2; d <= 2; d++) {
                lengths.add(boundary + d);
            }
        }
        for (int i = 0; i < 256; i++) {
            lengths.add(i);
        }
        for (int i = 1; i <= 64; i++) {
            lengths.add(compressed.length - i);
        }
        for (int i = 0; i < compressed.length; i += Math.max(1, compressed.length / 200)) {
            lengths.add(i);
        }
        lengths.removeIf(l -> l < 0 || l >= compressed.length);
        assertTrue(lengths.size() > 500);
        for (int length : lengths) {
            assertCorrupt(Arrays.copyOf(compressed, length), "truncated to " + length + " of " + compressed.length);
        }
    }

    @Test
    public void corruptedStreamIsCorrupt() throws IOException {
        assumeTrue(detects);
        byte[] compressed = TestData.compress(codec, TestData.mixed(1 << 20, 7));
        for (int tenth = 1; tenth <= 9; tenth++) {
            byte[] corrupted = compressed.clone();
            int at = compressed.length * tenth / 10;
            for (int i = at; i < at + 4; i++) {
                corrupted[i] ^= (byte) 0xA5;
            }
            assertCorrupt(corrupted, "4 bytes flipped at " + at + " of " + compressed.length);
        }
        for (int bit = 0; bit < 8; bit++) {
            byte[] corrupted = compressed.clone();
            corrupted[compressed.length / 3] ^= (byte) (1 << bit);
            assertCorrupt(corrupted, "bit " + bit + " flipped at " + compressed.length / 3);
        }
    }

    @Test
    public void noneDeliversWhatIsThere() throws IOException {
        assumeTrue(!detects);
        byte[] data = TestData.mixed(1000, 8);
        byte[] compressed = TestData.compress(codec, data);
        assertArrayEquals(data, compressed);
        assertArrayEquals(Arrays.copyOf(data, 500), TestData.decompress(codec, Arrays.copyOf(compressed, 500)));
    }

    @Test
    public void emptyInputIsCorrupt() throws IOException {
        assumeTrue(detects);
        assertCorrupt(new byte[0], "empty input");
    }

    @Test
    public void garbageIsCorrupt() throws IOException {
        assumeTrue(detects);
        assertCorrupt("this is not compressed data at all, just text".getBytes(StandardCharsets.US_ASCII), "text");
        assertCorrupt(TestData.mixed(10_000, 9), "random");
    }

    @Test
    public void trailingGarbageIsCorrupt() throws IOException {
        assumeTrue(detects);
        byte[] compressed = TestData.compress(codec, TestData.mixed(10_000, 10));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.write(compressed);
        bytes.write("garbage!".getBytes(StandardCharsets.US_ASCII));
        assertCorrupt(bytes.toByteArray(), "trailing garbage");
    }

    @Test
    public void corruptionIsSticky() throws IOException {
        assumeTrue(detects);
        byte[] compressed = TestData.compress(codec, TestData.mixed(100_000, 11));
        try (InputStream in = codec.decompress(new ByteArrayInputStream(Arrays.copyOf(compressed, compressed.length - 1)))) {
            CorruptDataException first = null;
            try {
                in.readAllBytes();
            } catch (CorruptDataException e) {
                first = e;
            }
            assertNotNull(first);
            try {
                in.read(new byte[10]);
                fail("read after corruption returned data");
            } catch (CorruptDataException e) {
                // expected
            }
        }
    }

    @Test
    public void failureOfTheSourceIsPassedOnUnchanged() throws IOException {
        byte[] compressed = TestData.compress(codec, TestData.mixed(200_000, 12));
        IOException ioFailure = new IOException("disk on fire");
        try (InputStream in = codec.decompress(failingAfter(compressed, compressed.length / 2, ioFailure))) {
            in.readAllBytes();
            fail("no exception");
        } catch (IOException e) {
            assertSame(ioFailure, e);
        }
        IllegalStateException runtimeFailure = new IllegalStateException("bug in the source");
        try (InputStream in = codec.decompress(failingAfter(compressed, compressed.length / 2, runtimeFailure))) {
            in.readAllBytes();
            fail("no exception");
        } catch (IllegalStateException e) {
            assertSame(runtimeFailure, e);
        }
    }

    @Test
    public void closeClosesTheWrappedStreams() throws IOException {
        AtomicBoolean outClosed = new AtomicBoolean();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        OutputStream out = codec.compress(new FilterOutputStream(bytes) {
            @Override
            public void close() throws IOException {
                outClosed.set(true);
                super.close();
            }
        });
        out.write("data".getBytes(StandardCharsets.US_ASCII));
        assertFalse(outClosed.get());
        out.close();
        assertTrue(outClosed.get());

        for (boolean readFirst : new boolean[] {false, true}) {
            AtomicBoolean inClosed = new AtomicBoolean();
            InputStream in = codec.decompress(new FilterInputStream(new ByteArrayInputStream(bytes.toByteArray())) {
                @Override
                public void close() throws IOException {
                    inClosed.set(true);
                    super.close();
                }
            });
            if (readFirst) {
                assertEquals('d', in.read());
            }
            in.close();
            assertTrue(inClosed.get());
        }
    }

    @Test
    public void readsFromAnUnbufferedSourceInBlocks() throws IOException {
        // decoders read headers byte by byte; the codec must buffer so that a file source is not hit per byte
        byte[] compressed = TestData.compress(codec, TestData.mixed(300_000, 13));
        int[] reads = new int[1];
        InputStream source = new FilterInputStream(new ByteArrayInputStream(compressed)) {
            @Override
            public int read() throws IOException {
                reads[0]++;
                return super.read();
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                reads[0]++;
                return super.read(b, off, len);
            }
        };
        try (InputStream in = codec.decompress(source)) {
            in.readAllBytes();
        }
        assertTrue(name + " made " + reads[0] + " reads for " + compressed.length + " bytes",
                reads[0] <= compressed.length / 1024 + 10);
    }

    private void assertCorrupt(byte[] compressed, String what) throws IOException {
        try (InputStream in = codec.decompress(new BufferedInputStream(new ByteArrayInputStream(compressed)))) {
            byte[] decoded = in.readAllBytes();
            fail(name + ": " + what + ": no CorruptDataException, decoded " + decoded.length + " bytes");
        } catch (CorruptDataException e) {
            assertTrue(e.getMessage(), e.getMessage().startsWith(name + ": "));
        } catch (IOException | RuntimeException e) {
            throw new AssertionError(name + ": " + what + ": expected CorruptDataException, got " + e, e);
        }
    }

    private static InputStream failingAfter(byte[] data, int limit, RuntimeException failure) {
        return failingAfter(data, limit, (Object) failure);
    }

    private static InputStream failingAfter(byte[] data, int limit, IOException failure) {
        return failingAfter(data, limit, (Object) failure);
    }

    private static InputStream failingAfter(byte[] data, int limit, Object failure) {
        return new InputStream() {
            private int pos;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (pos >= limit) {
                    if (failure instanceof IOException) {
                        throw (IOException) failure;
                    }
                    throw (RuntimeException) failure;
                }
                int n = Math.min(len, Math.min(limit, data.length) - pos);
                System.arraycopy(data, pos, b, off, n);
                pos += n;
                return n;
            }
        };
    }

    // ---- structural boundaries of the formats, to truncate at ----

    private static List<Integer> gzipBoundaries(byte[] c) {
        return List.of(10, c.length - 8, c.length - 4);
    }

    /** Block boundaries of a single LZ4 frame (descriptor without content size, as Lz4Codec writes). */
    static List<Integer> lz4Boundaries(byte[] c) {
        List<Integer> result = new ArrayList<>();
        int flags = c[4] & 0xff;
        boolean blockChecksum = (flags & 0x10) != 0;
        int pos = 4 + 2 + ((flags & 0x08) != 0 ? 8 : 0) + 1;
        while (pos + 4 <= c.length) {
            result.add(pos);
            int size = (c[pos] & 0xff) | (c[pos + 1] & 0xff) << 8 | (c[pos + 2] & 0xff) << 16 | (c[pos + 3] & 0x7f) << 24;
            if (size == 0) {
                result.add(pos + 4); // end mark read, content checksum missing
                break;
            }
            pos += 4 + size + (blockChecksum ? 4 : 0);
        }
        assertTrue("lz4 stream has several blocks", result.size() > 4);
        return result;
    }

    /** Chunk boundaries of a framed Snappy stream. */
    static List<Integer> snappyBoundaries(byte[] c) {
        List<Integer> result = new ArrayList<>();
        int pos = 0;
        while (pos + 4 <= c.length) {
            result.add(pos);
            pos += 4 + ((c[pos + 1] & 0xff) | (c[pos + 2] & 0xff) << 8 | (c[pos + 3] & 0xff) << 16);
        }
        assertEquals("walked the whole snappy stream", c.length, pos);
        assertTrue("snappy stream has several chunks", result.size() > 4);
        return result;
    }
}
