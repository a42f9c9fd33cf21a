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
import java.util.Set;
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
 *
 * <p>A store swap never leaves the archive without a store that is still there: when {@code store.target} is
 * changed to a filter that matches no registered store (yet: a remote store still checking its bucket, or
 * unreachable), the archive keeps using the store it had, logs a warning, reports
 * {@code chronik_archive_store_target_unmatched 1}, and moves to the new store once one matches. The kept store is
 * dropped only when its service goes away. For that the archive also tracks every {@link ObjectStore} ("stores"),
 * so it can tell a store that no longer matches the filter from a store that was unregistered.
 */
@Component(configurationPid = "io.chronik.archive", service = {Archive.class, MetricSource.class})
@Designate(ocd = ArchiveConfig.class)
public class ObjectArchive implements Archive, MetricSource {
    private static final Logger LOG = LoggerFactory.getLogger(ObjectArchive.class);

    /** The bound store and its {@code store.name}; replaced as one value so the two never disagree. */
    private record BoundStore(ObjectStore store, String name) {
    }

    /** The store in use: {@link #matched}, else {@link #kept}. */
    private volatile BoundStore store;
    /** The store the {@code store.target} reference binds; guarded by {@code this}. */
    private BoundStore matched;
    /** The store used before {@code store.target} stopped matching it, while nothing matches; guarded by {@code this}. */
    private BoundStore kept;
    /** Every registered {@link ObjectStore} ("stores" reference). */
    private final Set<ObjectStore> registered = ConcurrentHashMap.newKeySet();
    private volatile String storeTarget;

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
        this.storeTarget = "(store.name=" + storeName + ")";
        if (store != null) {
            registered.add(store);
            this.matched = new BoundStore(store, storeName);
            this.store = matched;
        }
    }

    @Modified
    void modified(ArchiveConfig config) {
        this.codecName = config.codec();
        this.storeTarget = config.store_target();
        LOG.info("archive writes with codec '{}' to the store matching {}", config.codec(), config.store_target());
    }

    @Reference(name = "store", cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    synchronized void bindStore(ObjectStore s, Map<String, Object> properties) {
        String name = String.valueOf(properties.getOrDefault(ObjectStore.STORE_NAME, "unnamed"));
        matched = new BoundStore(s, name);
        kept = null;
        store = matched;
        LOG.info("archive bound to object store '{}'", name);
    }

    synchronized void unbindStore(ObjectStore s) {
        // a greedy dynamic reference binds the replacement before unbinding the old one
        if (matched == null || matched.store() != s) {
            return;
        }
        BoundStore old = matched;
        matched = null;
        if (registered.contains(s)) {
            // the filter changed and matches nothing (yet): keep writing where we did rather than nowhere
            kept = old;
            LOG.warn("no object store matches {}: the archive keeps using object store '{}' until one does",
                    storeTarget, old.name());
        } else {
            LOG.info("archive unbound from object store '{}'", old.name());
        }
        store = kept;
    }

    @Reference(name = "stores", service = ObjectStore.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void bindAnyStore(ObjectStore s) {
        registered.add(s);
    }

    synchronized void unbindAnyStore(ObjectStore s) {
        registered.remove(s);
        if (kept != null && kept.store() == s) {
            LOG.warn("object store '{}', kept by the archive while nothing matches {}, went away: no store is bound",
                    kept.name(), storeTarget);
            kept = null;
            store = matched;
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
        BoundStore inUse = store;
        MetricSink.Family storeFamily = sink.family("chronik_archive_store",
                "The object store the archive uses (1), by store.name; no sample while it has none",
                MetricSink.Type.GAUGE, "store");
        if (inUse != null) {
            storeFamily.sample(1, inUse.name());
        }
        boolean unmatched;
        synchronized (this) {
            unmatched = matched == null;
        }
        sink.family("chronik_archive_store_target_unmatched",
                "1 while the configured store.target matches no registered object store (the archive then keeps the "
                        + "store it had, if any), else 0", MetricSink.Type.GAUGE).sample(unmatched ? 1 : 0);
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
