package io.chronik.raft.internal;

import java.util.Locale;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The keys of archived snapshots in the object store (through the {@link io.chronik.api.archive.Archive}), all below
 * the cluster id:
 * <ul>
 * <li>{@code <cluster>/groups/<g>/manifests/<index:020d>.manifest}: a data group's snapshot at a Raft index
 * ({@link ArchivedSnapshot}), written last;</li>
 * <li>{@code <cluster>/groups/<g>/files/<topicId>-<partition>/<file>/<from:020d>-<to:020d>-<crc32:08x>}: the bytes
 * {@code [from, to)} of a partition's file, whose CRC32 is {@code crc32}; a segment file is a chain of such ranges,
 * each uploaded once and referenced by every later manifest that includes it;</li>
 * <li>{@code <cluster>/metadata/<index:020d>.snapshot}: the metadata group's snapshot file.</li>
 * </ul>
 * Zero-padded numbers make the keys sort by index (and by offset within a file).
 */
final class ArchiveKeys {
    private static final Pattern RANGE = Pattern.compile("(\\d{20})-(\\d{20})-([0-9a-f]{8})");
    private static final Pattern MANIFEST = Pattern.compile("(\\d{20})\\.manifest");

    private ArchiveKeys() {
    }

    /** The bytes {@code [from, to)} of a file, with their CRC32. */
    record Range(long from, long to, int crc) {
        Range {
            if (from < 0 || to < from) {
                throw new IllegalArgumentException("bad range [" + from + ", " + to + ")");
            }
        }

        long length() {
            return to - from;
        }

        String name() {
            return String.format(Locale.ROOT, "%020d-%020d-%08x", from, to, crc);
        }

        /** Parses {@link #name()}; null if {@code name} is not one. */
        static Range parse(String name) {
            Matcher m = RANGE.matcher(name);
            if (!m.matches()) {
                return null;
            }
            return new Range(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)),
                    (int) Long.parseLong(m.group(3), 16));
        }
    }

    static String group(String cluster, int groupNo) {
        return cluster + "/groups/" + groupNo + "/";
    }

    static String manifests(String cluster, int groupNo) {
        return group(cluster, groupNo) + "manifests/";
    }

    static String manifest(String cluster, int groupNo, long index) {
        return manifests(cluster, groupNo) + String.format(Locale.ROOT, "%020d.manifest", index);
    }

    /** The Raft index of a manifest key, or -1 if it is not one. */
    static long manifestIndex(String key) {
        Matcher m = MANIFEST.matcher(key.substring(key.lastIndexOf('/') + 1));
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }

    static String files(String cluster, int groupNo) {
        return group(cluster, groupNo) + "files/";
    }

    /** The prefix of a partition file's ranges: {@code .../files/<topicId>-<partition>/<file>/}. */
    static String file(String cluster, int groupNo, UUID topicId, int partition, String file) {
        return files(cluster, groupNo) + topicId + "-" + partition + "/" + file + "/";
    }

    static String metadata(String cluster) {
        return cluster + "/metadata/";
    }

    static String metadataSnapshot(String cluster, long index) {
        return metadata(cluster) + String.format(Locale.ROOT, "%020d.snapshot", index);
    }
}
