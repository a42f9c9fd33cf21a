package io.chronik.archive.internal;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.archive.Archive;
import io.chronik.api.archive.ArchiveUnavailableException;
import io.chronik.api.compression.CompressionCodec;
import io.chronik.api.compression.CorruptDataException;
import io.chronik.api.metrics.MetricSink;
import io.chronik.api.metrics.MetricSource;
import io.chronik.api.store.ObjectStore;

/**
 * The archive: blobs go to the object store chosen by the {@code store.target} filter and are compressed with
 * the codec named by {@code codec}. Both references are dynamic, so swapping the store (by configuration or
 * by stopping and starting store bundles) or stopping and restarting the compression bundle rebinds this
 * component in place; while a provider is missing, operations that need it fail with
 * {@link ArchiveUnavailableException}.
 */
@Component(configurationPid = "io.chronik.archive", service = {Archive.class, MetricSource.class})
@Designate(ocd = ArchiveConfig.class)
public class ObjectArchive implements Archive, MetricSource {
    private static final Logger LOG = LoggerFactory.getLogger(ObjectArchive.class);

    /** The bound store and its {@code store.name}; replaced as one value so the two never disagree. */
    private record BoundStore(ObjectStore store, String name) {
    }

    private volatile BoundStore store;

    private final Map<String, CompressionCodec> codecs = new ConcurrentHashMap<>();
    private volatile String codecName;
    private final AtomicLong blobsWritten = new AtomicLong();
    private final AtomicLong bytesWritten = new AtomicLong();
    private final AtomicLong blobsRead = new AtomicLong();
    private final AtomicLong corruptReads = new AtomicLong();

    @Activate
    public ObjectArchive(ArchiveConfig config) {
        modified(config);
    }

    /** For tests outside OSGi. */
    ObjectArchive(String codecName, ObjectStore store, String storeName) {
        this.codecName = codecName;
        this.store = store == null ? null : new BoundStore(store, storeName);
    }

    @Modified
    void modified(ArchiveConfig config) {
        this.codecName = config.codec();
        LOG.info("archive writes with codec '{}' to the store matching {}", config.codec(), config.store_target());
    }

    @Reference(name = "store", cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindStore(ObjectStore s, Map<String, Object> properties) {
        String name = String.valueOf(properties.getOrDefault(ObjectStore.STORE_NAME, "unnamed"));
        store = new BoundStore(s, name);
        LOG.info("archive bound to object store '{}'", name);
    }

    void unbindStore(ObjectStore s) {
        BoundStore current = store;
        // a greedy dynamic reference binds the replacement before unbinding the old one
        if (current != null && current.store() == s) {
            store = null;
            LOG.info("archive unbound from object store '{}'", current.name());
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindCodec(CompressionCodec codec) {
        codecs.put(codec.name(), codec);
        LOG.debug("codec '{}' bound", codec.name());
    }

    void unbindCodec(CompressionCodec codec) {
        codecs.remove(codec.name(), codec);
        LOG.debug("codec '{}' unbound", codec.name());
    }

    private ObjectStore requireStore() throws ArchiveUnavailableException {
        BoundStore s = store;
        if (s == null) {
            throw new ArchiveUnavailableException("no object store is bound to the archive");
        }
        return s.store();
    }

    private CompressionCodec requireCodec(String name) throws ArchiveUnavailableException {
        CompressionCodec c = codecs.get(name);
        if (c == null) {
            throw new ArchiveUnavailableException("compression codec '" + name + "' is not available (bound codecs: "
                    + codecs.keySet() + ")");
        }
        return c;
    }

    @Override
    public long write(String key, InputStream data) throws IOException {
        ObjectStore s = requireStore();
        CompressingBlobStream blob = new CompressingBlobStream(data, requireCodec(codecName));
        long stored = s.put(key, blob);
        blobsWritten.incrementAndGet();
        bytesWritten.addAndGet(stored);
        return blob.uncompressedBytes();
    }

    @Override
    public InputStream read(String key) throws IOException {
        DataInputStream raw = new DataInputStream(requireStore().get(key));
        try {
            CompressionCodec codec = requireCodec(readHeader(key, raw));
            ChunkedInputStream body = new ChunkedInputStream(key, raw);
            InputStream decompressed = codec.decompress(body);
            blobsRead.incrementAndGet();
            return new CountingCorruption(new VerifyingBlobStream(key, raw, body, decompressed));
        } catch (IOException | RuntimeException e) {
            if (e instanceof CorruptDataException) {
                corruptReads.incrementAndGet();
            }
            raw.close();
            throw e;
        }
    }

    private static String readHeader(String key, DataInputStream raw) throws IOException {
        try {
            byte[] magic = new byte[BlobFormat.MAGIC.length];
            raw.readFully(magic);
            if (!Arrays.equals(magic, BlobFormat.MAGIC)) {
                throw new CorruptDataException("object '" + key + "' is not an archived blob (bad magic)");
            }
            int version = raw.readUnsignedByte();
            if (version != BlobFormat.VERSION) {
                throw new CorruptDataException("archived blob '" + key + "' has unsupported format version " + version);
            }
            byte[] name = new byte[raw.readUnsignedByte()];
            raw.readFully(name);
            return new String(name, StandardCharsets.US_ASCII);
        } catch (EOFException e) {
            throw new CorruptDataException("archived blob '" + key + "' is truncated in its header", e);
        }
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        return requireStore().list(prefix);
    }

    @Override
    public boolean delete(String key) throws IOException {
        return requireStore().delete(key);
    }

    @Override
    public List<String> retain(String prefix, int newest) throws IOException {
        if (newest < 0) {
            throw new IllegalArgumentException("newest must be >= 0, was " + newest);
        }
        ObjectStore s = requireStore();
        List<String> keys = s.list(prefix);
        List<String> deleted = new ArrayList<>();
        for (String key : keys.subList(0, Math.max(0, keys.size() - newest))) {
            if (s.delete(key)) {
                deleted.add(key);
            }
        }
        return deleted;
    }

    @Override
    public String activeStore() {
        BoundStore s = store;
        return s == null ? null : s.name();
    }

    @Override
    public String activeCodec() {
        return codecName;
    }

    @Override
    public void collect(MetricSink sink) {
        sink.family("chronik_archive_blobs_written", "Blobs written to the archive", MetricSink.Type.COUNTER)
                .sample(blobsWritten.get());
        sink.family("chronik_archive_stored_bytes_written", "Compressed bytes written to the object store by the archive",
                MetricSink.Type.COUNTER).sample(bytesWritten.get());
        sink.family("chronik_archive_blobs_read", "Blobs opened for reading", MetricSink.Type.COUNTER)
                .sample(blobsRead.get());
        sink.family("chronik_archive_corrupt_reads", "Blob reads that failed their format or checksum check",
                MetricSink.Type.COUNTER).sample(corruptReads.get());
        MetricSink.Family bound = sink.family("chronik_archive_codecs_bound",
                "Compression codecs currently bound to the archive, by name", MetricSink.Type.GAUGE, "codec");
        codecs.keySet().forEach(name -> bound.sample(1, name));
    }

    /** Counts checksum failures detected while a blob is being read. */
    private final class CountingCorruption extends java.io.FilterInputStream {
        CountingCorruption(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            try {
                return super.read();
            } catch (CorruptDataException e) {
                corruptReads.incrementAndGet();
                throw e;
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return in.read(b, off, len);
            } catch (CorruptDataException e) {
                corruptReads.incrementAndGet();
                throw e;
            }
        }
    }
}
