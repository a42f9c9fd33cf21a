package io.chronik.api.archive;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Compressed, checksummed blobs — Raft snapshots, sealed segments — kept in the currently active
 * {@link io.chronik.api.store.ObjectStore} and compressed by the currently active
 * {@link io.chronik.api.compression.CompressionCodec}. Which store and which codec are active is
 * configuration of the providing bundle and may change at run time.
 *
 * <p>Every blob records the codec it was written with and the CRC32 of its uncompressed bytes, so a blob
 * written with one codec stays readable after the active codec is changed (as long as that codec is still
 * installed), and corruption is detected on read.
 *
 * <p><b>Blocking.</b> All methods block until the underlying store has completed. <b>Thread-safety:</b> safe
 * for concurrent use.
 *
 * <p><b>Errors.</b> {@link ArchiveUnavailableException} when no object store or no codec needed for the
 * operation is currently bound (transient: retry once the provider is back);
 * {@link io.chronik.api.store.ObjectNotFoundException} for a missing key;
 * {@link io.chronik.api.compression.CorruptDataException} when a blob fails its format or CRC32 check; other
 * {@link IOException}s come from the store.
 */
@ProviderType
public interface Archive {

    /**
     * Compresses {@code data} (read to its end, not closed) with the active codec and stores it under
     * {@code key} in the active store, atomically.
     *
     * @return the number of uncompressed bytes archived
     */
    long write(String key, InputStream data) throws IOException;

    /**
     * Opens the blob under {@code key} for reading its uncompressed bytes. The CRC32 is verified when the
     * stream reaches its end; a mismatch throws {@link io.chronik.api.compression.CorruptDataException} from
     * {@code read}. The caller must close the stream.
     */
    InputStream read(String key) throws IOException;

    /** The keys under {@code prefix} in the active store, in lexicographic order. */
    List<String> list(String prefix) throws IOException;

    /** Deletes the blob under {@code key}; {@code true} if one was deleted. */
    boolean delete(String key) throws IOException;

    /**
     * Keeps the {@code newest} lexicographically greatest keys under {@code prefix} and deletes the rest
     * (retention by count, for keys that sort by age such as zero-padded indexes).
     *
     * @return the keys deleted
     * @throws IllegalArgumentException if {@code newest < 0}
     */
    List<String> retain(String prefix, int newest) throws IOException;

    /** The {@code store.name} of the object store currently used, or {@code null} if none is bound. */
    String activeStore();

    /** The {@code codec.name} of the codec new blobs are written with. */
    String activeCodec();
}
