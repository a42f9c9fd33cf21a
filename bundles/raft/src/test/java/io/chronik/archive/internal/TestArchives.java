package io.chronik.archive.internal;

import io.chronik.api.archive.Archive;
import io.chronik.api.compression.CompressionCodec;
import io.chronik.api.store.ObjectStore;
import io.chronik.compression.internal.GzipCodec;
import io.chronik.compression.internal.NoneCodec;
import io.chronik.compression.internal.ZstdCodec;

/**
 * The real archive ({@link ObjectArchive}) outside OSGi for the raft bundle's tests: bound to {@code store} (named
 * {@code storeName}) and to the gzip, zstd and none codecs of the compression bundle, writing with {@code codec}.
 * (In this package for ObjectArchive's package-private binding methods.)
 */
public final class TestArchives {
    private TestArchives() {
    }

    public static Archive archive(String codec, ObjectStore store, String storeName) {
        ObjectArchive a = new ObjectArchive(codec, store, storeName);
        for (CompressionCodec c : new CompressionCodec[] {new GzipCodec(), new ZstdCodec(), new NoneCodec()}) {
            a.bindCodec(c);
        }
        return a;
    }

    /** Binds {@code store} as the archive's store (as a greedy rebind to another store would). */
    public static void bindStore(Archive archive, ObjectStore store, String storeName) {
        ((ObjectArchive) archive).bindAnyStore(store);
        ((ObjectArchive) archive).bindStore(store, java.util.Map.of(ObjectStore.STORE_NAME, storeName));
    }

    /**
     * Unbinds the archive's store as when its service goes away (both of the archive's store references let go of
     * it; a store that is only no longer matched would be kept): operations fail with ArchiveUnavailableException.
     */
    public static void unbindStore(Archive archive, ObjectStore store) {
        ((ObjectArchive) archive).unbindAnyStore(store);
        ((ObjectArchive) archive).unbindStore(store);
    }
}
