package io.chronik.archive.internal;

import java.nio.charset.StandardCharsets;

/**
 * The layout of an archived blob:
 *
 * <pre>
 * magic "CHRA" (4) | format version (1) | codec name length (1) | codec name (ASCII)
 * chunk*: length (int32 &gt; 0) | compressed bytes
 * terminator: int32 0
 * trailer: uncompressed length (int64) | CRC32 of the uncompressed bytes (int32)
 * </pre>
 *
 * Chunking makes the compressed body self-delimiting whatever the codec (including {@code none}), so the
 * trailer can be written after streaming the data through and read without knowing the object's size.
 */
final class BlobFormat {
    static final byte[] MAGIC = "CHRA".getBytes(StandardCharsets.US_ASCII);
    static final int VERSION = 1;
    /** Upper bound on one chunk; a larger length prefix means a corrupt blob. */
    static final int MAX_CHUNK = 4 << 20;

    private BlobFormat() {
    }
}
