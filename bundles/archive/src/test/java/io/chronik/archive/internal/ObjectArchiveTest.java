package io.chronik.archive.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

import org.junit.Test;

import io.chronik.api.archive.ArchiveUnavailableException;
import io.chronik.api.compression.CompressionCodec;
import io.chronik.api.compression.CorruptDataException;
import io.chronik.api.store.ObjectNotFoundException;
import io.chronik.api.store.ObjectStore;
import io.chronik.testing.RecordingMetricSink;

/**
 * The blob format and the archive's behaviour when providers come and go. The real store and codec bundles
 * are exercised together with this one in the container tests; here a map-backed store and a JDK gzip codec
 * keep the format tests independent of them.
 */
public class ObjectArchiveTest {

    private final MapStore store = new MapStore();

    private ObjectArchive archive(String codec) {
        ObjectArchive archive = new ObjectArchive(codec, store, "mem");
        archive.bindCodec(new JdkGzip());
        archive.bindCodec(new Identity());
        return archive;
    }

    private static byte[] readAll(InputStream in) throws IOException {
        try (in) {
            return in.readAllBytes();
        }
    }

    @Test
    public void roundTripsEmptySmallAndMultiChunkBlobsWithEachCodec() throws IOException {
        byte[] big = new byte[3 * 1024 * 1024 + 17];
        new Random(7).nextBytes(big);
        for (String codec : List.of("gzip", "none")) {
            ObjectArchive archive = archive(codec);
            for (byte[] data : List.of(new byte[0], "hello".getBytes(), big)) {
                String key = "snapshots/" + codec + "/" + data.length;
                assertEquals(data.length, archive.write(key, new ByteArrayInputStream(data)));
                assertArrayEquals(data, readAll(archive.read(key)));
            }
        }
    }

    @Test
    public void blobWrittenWithOneCodecIsReadableAfterTheActiveCodecChanges() throws IOException {
        archive("gzip").write("a", new ByteArrayInputStream("payload".getBytes()));
        assertArrayEquals("payload".getBytes(), readAll(archive("none").read("a")));
    }

    @Test
    public void flippedByteIsDetected() throws IOException {
        ObjectArchive archive = archive("none");
        archive.write("k", new ByteArrayInputStream("some payload worth checking".getBytes()));
        byte[] stored = store.objects.get("k");
        stored[stored.length - 20] ^= 0x40;
        assertThrows(CorruptDataException.class, () -> readAll(archive.read("k")));
    }

    @Test
    public void truncatedBlobIsDetected() throws IOException {
        ObjectArchive archive = archive("gzip");
        archive.write("k", new ByteArrayInputStream(new byte[100_000]));
        byte[] stored = store.objects.get("k");
        for (int cut : new int[] {3, 8, stored.length / 2, stored.length - 5, stored.length - 1}) {
            store.objects.put("t", java.util.Arrays.copyOf(stored, cut));
            assertThrows("cut at " + cut, CorruptDataException.class, () -> readAll(archive.read("t")));
        }
    }

    @Test
    public void objectThatIsNoBlobIsRejected() throws IOException {
        store.put("raw", "not a blob at all".getBytes());
        assertThrows(CorruptDataException.class, () -> archive("gzip").read("raw"));
    }

    @Test
    public void missingProvidersGiveTransientErrors() throws IOException {
        ObjectArchive archive = new ObjectArchive("gzip", null, null);
        assertNull(archive.activeStore());
        assertThrows(ArchiveUnavailableException.class, () -> archive.write("k", new ByteArrayInputStream(new byte[1])));
        archive.bindStore(store, Map.of(ObjectStore.STORE_NAME, "mem"));
        assertEquals("mem", archive.activeStore());
        ArchiveUnavailableException e = assertThrows(ArchiveUnavailableException.class,
                () -> archive.write("k", new ByteArrayInputStream(new byte[1])));
        assertTrue(e.getMessage(), e.getMessage().contains("'gzip'"));
        JdkGzip gzip = new JdkGzip();
        archive.bindCodec(gzip);
        archive.write("k", new ByteArrayInputStream(new byte[] {1}));
        archive.unbindCodec(gzip);
        assertThrows(ArchiveUnavailableException.class, () -> archive.read("k"));
        archive.unbindStore(store);
        assertNull(archive.activeStore());
    }

    @Test
    public void greedyRebindKeepsTheNewStoreWhenTheOldIsUnboundAfterwards() throws IOException {
        ObjectArchive archive = archive("none");
        MapStore other = new MapStore();
        archive.bindStore(other, Map.of(ObjectStore.STORE_NAME, "other"));
        archive.unbindStore(store);
        assertEquals("other", archive.activeStore());
        archive.write("k", new ByteArrayInputStream(new byte[] {1}));
        assertTrue(other.objects.containsKey("k"));
    }

    @Test
    public void aTargetThatMatchesNothingYetKeepsThePreviousStoreUntilOneMatches() throws IOException {
        ObjectArchive archive = archive("none"); // bound to "mem", which is registered
        MapStore s3 = new MapStore();
        // store.target changed to (store.name=s3) while no such store is registered: SCR unbinds "mem" only
        archive.unbindStore(store);
        assertEquals("mem", archive.activeStore());
        archive.write("k1", new ByteArrayInputStream(new byte[] {1}));
        assertTrue(store.objects.containsKey("k1"));
        Map<String, Double> samples = RecordingMetricSink.collect(archive);
        assertEquals(1.0, samples.get("chronik_archive_store_target_unmatched"), 0);
        assertEquals(1.0, samples.get("chronik_archive_store{store=\"mem\"}"), 0);

        // the S3 store passes its bucket check and is registered: the archive moves to it
        archive.bindAnyStore(s3);
        archive.bindStore(s3, Map.of(ObjectStore.STORE_NAME, "s3"));
        assertEquals("s3", archive.activeStore());
        archive.write("k2", new ByteArrayInputStream(new byte[] {2}));
        assertTrue(s3.objects.containsKey("k2"));
        samples = RecordingMetricSink.collect(archive);
        assertEquals(0.0, samples.get("chronik_archive_store_target_unmatched"), 0);
        assertEquals(1.0, samples.get("chronik_archive_store{store=\"s3\"}"), 0);
        assertNull(samples.get("chronik_archive_store{store=\"mem\"}"));
    }

    @Test
    public void aKeptStoreThatGoesAwayLeavesNoStore() {
        ObjectArchive archive = archive("none");
        archive.unbindStore(store); // target changed, nothing matches: "mem" kept
        archive.unbindAnyStore(store); // then "mem" is unregistered
        assertNull(archive.activeStore());
        assertThrows(ArchiveUnavailableException.class, () -> archive.write("k", new ByteArrayInputStream(new byte[1])));
        assertNull(RecordingMetricSink.collect(archive).get("chronik_archive_store{store=\"mem\"}"));
    }

    @Test
    public void aStoreThatIsUnregisteredIsNotKept() {
        ObjectArchive archive = archive("none");
        // the store's service goes away: SCR may unbind either reference first
        archive.unbindAnyStore(store);
        archive.unbindStore(store);
        assertNull(archive.activeStore());
        ObjectArchive other = archive("none");
        other.unbindStore(store);
        other.unbindAnyStore(store);
        assertNull(other.activeStore());
    }

    @Test
    public void missingKeyIsNotFound() {
        assertThrows(ObjectNotFoundException.class, () -> archive("gzip").read("nope"));
    }

    @Test
    public void retainKeepsTheNewestKeys() throws IOException {
        ObjectArchive archive = archive("none");
        for (int i = 1; i <= 5; i++) {
            archive.write(String.format("snap/%05d", i), new ByteArrayInputStream(new byte[] {(byte) i}));
        }
        archive.write("other/1", new ByteArrayInputStream(new byte[1]));
        assertEquals(List.of("snap/00001", "snap/00002", "snap/00003"), archive.retain("snap/", 2));
        assertEquals(List.of("snap/00004", "snap/00005"), archive.list("snap/"));
        assertEquals(List.of("other/1"), archive.list("other/"));
        assertThrows(IllegalArgumentException.class, () -> archive.retain("snap/", -1));
    }

    @Test
    public void metricsCountWritesAndBoundCodecs() throws IOException {
        ObjectArchive archive = archive("gzip");
        archive.write("k", new ByteArrayInputStream(new byte[10]));
        Map<String, Double> samples = RecordingMetricSink.collect(archive);
        assertEquals(1.0, samples.get("chronik_archive_blobs_written_total"), 0);
        assertEquals(1.0, samples.get("chronik_archive_codecs_bound{codec=\"gzip\"}"), 0);
        assertEquals(1.0, samples.get("chronik_archive_codecs_bound{codec=\"none\"}"), 0);
    }

    /** A map-backed store for testing the format; the real stores have their own tests. */
    static final class MapStore implements ObjectStore {
        final Map<String, byte[]> objects = new TreeMap<>();

        @Override
        public synchronized long put(String key, InputStream data) throws IOException {
            byte[] bytes = data.readAllBytes();
            objects.put(key, bytes);
            return bytes.length;
        }

        @Override
        public synchronized void put(String key, byte[] data) {
            objects.put(key, data.clone());
        }

        @Override
        public synchronized InputStream get(String key) throws IOException {
            byte[] b = objects.get(key);
            if (b == null) {
                throw new ObjectNotFoundException(key);
            }
            return new ByteArrayInputStream(b);
        }

        @Override
        public byte[] get(String key, long offset, int length) {
            throw new UnsupportedOperationException();
        }

        @Override
        public synchronized long size(String key) throws IOException {
            return get(key).available();
        }

        @Override
        public synchronized List<String> list(String prefix) {
            return objects.keySet().stream().filter(k -> k.startsWith(prefix)).toList();
        }

        @Override
        public synchronized boolean delete(String key) {
            return objects.remove(key) != null;
        }
    }

    static final class JdkGzip implements CompressionCodec {
        @Override
        public String name() {
            return "gzip";
        }

        @Override
        public OutputStream compress(OutputStream out) throws IOException {
            return new GZIPOutputStream(out);
        }

        @Override
        public InputStream decompress(InputStream in) throws IOException {
            return new GZIPInputStream(in);
        }
    }

    static final class Identity implements CompressionCodec {
        @Override
        public String name() {
            return "none";
        }

        @Override
        public OutputStream compress(OutputStream out) {
            return new java.io.FilterOutputStream(out) {
                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    out.write(b, off, len);
                }
            };
        }

        @Override
        public InputStream decompress(InputStream in) {
            return in;
        }
    }
}
