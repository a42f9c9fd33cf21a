package io.chronik.raft.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.CRC32;

import io.chronik.log.LinkedFile;

/**
 * A data group's snapshot as archived ({@code <cluster>/groups/<g>/manifests/<index>.manifest}): the snapshot's
 * {@link SnapshotManifest} and, for every file of every partition in manifest order, the {@link ArchiveKeys.Range}s
 * whose objects make up the file's bytes, from 0 to the file's size without gaps.
 *
 * <p>Binary form: magic {@code CHAM}, format 1, the length and bytes of the encoded {@link SnapshotManifest}, then
 * for each file the number of ranges and each range (from, to, crc), and the CRC32 of everything before it. The
 * archive compresses it and adds its own CRC32. Immutable.
 */
record ArchivedSnapshot(String cluster, SnapshotManifest manifest, List<List<List<ArchiveKeys.Range>>> ranges) {
    private static final int MAGIC = 0x4348414D; // "CHAM"
    private static final int FORMAT = 1;

    ArchivedSnapshot {
        if (ranges.size() != manifest.partitions().size()) {
            throw new IllegalArgumentException("ranges for " + ranges.size() + " partitions, manifest has "
                    + manifest.partitions().size());
        }
        List<List<List<ArchiveKeys.Range>>> copy = new ArrayList<>();
        for (int i = 0; i < ranges.size(); i++) {
            SnapshotManifest.Partition p = manifest.partitions().get(i);
            List<List<ArchiveKeys.Range>> files = ranges.get(i);
            if (files.size() != p.files().size()) {
                throw new IllegalArgumentException(p.dirName() + ": ranges for " + files.size() + " files, manifest has "
                        + p.files().size());
            }
            List<List<ArchiveKeys.Range>> fc = new ArrayList<>();
            for (int j = 0; j < files.size(); j++) {
                checkChain(p.files().get(j), files.get(j));
                fc.add(List.copyOf(files.get(j)));
            }
            copy.add(List.copyOf(fc));
        }
        ranges = List.copyOf(copy);
    }

    private static void checkChain(LinkedFile f, List<ArchiveKeys.Range> chain) {
        long at = 0;
        for (ArchiveKeys.Range r : chain) {
            if (r.from() != at) {
                throw new IllegalArgumentException(f.name() + ": range " + r.name() + " does not start at " + at);
            }
            at = r.to();
        }
        if (at != f.size()) {
            throw new IllegalArgumentException(f.name() + ": ranges end at " + at + ", the file has " + f.size() + " bytes");
        }
    }

    long index() {
        return manifest.index();
    }

    /** The key of the object holding range {@code r} of file {@code file} of partition {@code partition}. */
    String key(int partition, int file, ArchiveKeys.Range r) {
        SnapshotManifest.Partition p = manifest.partitions().get(partition);
        return ArchiveKeys.file(cluster, manifest.groupNo(), p.topicId(), p.partition(), p.files().get(file).name())
                + r.name();
    }

    /** Every object key the snapshot references (besides its manifest). */
    Set<String> keys() {
        Set<String> keys = new LinkedHashSet<>();
        for (int i = 0; i < ranges.size(); i++) {
            for (int j = 0; j < ranges.get(i).size(); j++) {
                for (ArchiveKeys.Range r : ranges.get(i).get(j)) {
                    keys.add(key(i, j, r));
                }
            }
        }
        return keys;
    }

    byte[] encode() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeInt(MAGIC);
            out.writeInt(FORMAT);
            byte[] m = manifest.encode();
            out.writeInt(m.length);
            out.write(m);
            for (List<List<ArchiveKeys.Range>> files : ranges) {
                for (List<ArchiveKeys.Range> chain : files) {
                    out.writeInt(chain.size());
                    for (ArchiveKeys.Range r : chain) {
                        out.writeLong(r.from());
                        out.writeLong(r.to());
                        out.writeInt(r.crc());
                    }
                }
            }
            out.flush();
            CRC32 crc = new CRC32();
            crc.update(bytes.toByteArray());
            out.writeInt((int) crc.getValue());
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException(e); // a byte array does not fail
        }
    }

    /** @throws IOException naming {@code source} if the data is not a valid archived snapshot */
    static ArchivedSnapshot decode(String cluster, byte[] data, String source) throws IOException {
        if (data.length < 16) {
            throw new IOException(source + ": not an archived snapshot manifest (" + data.length + " bytes)");
        }
        CRC32 crc = new CRC32();
        crc.update(data, 0, data.length - 4);
        if ((int) crc.getValue() != ByteBuffer.wrap(data, data.length - 4, 4).getInt()) {
            throw new IOException(source + ": archived snapshot manifest fails its CRC32 check");
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data, 0, data.length - 4))) {
            if (in.readInt() != MAGIC) {
                throw new IOException(source + ": not an archived snapshot manifest (bad magic)");
            }
            int format = in.readInt();
            if (format != FORMAT) {
                throw new IOException(source + ": unsupported archived snapshot manifest format " + format);
            }
            int length = in.readInt();
            if (length < 0 || length > data.length) {
                throw new IOException(source + ": archived snapshot manifest is truncated");
            }
            byte[] m = new byte[length];
            in.readFully(m);
            SnapshotManifest manifest = SnapshotManifest.decode(m, source);
            List<List<List<ArchiveKeys.Range>>> ranges = new ArrayList<>();
            for (SnapshotManifest.Partition p : manifest.partitions()) {
                List<List<ArchiveKeys.Range>> files = new ArrayList<>();
                for (int j = 0; j < p.files().size(); j++) {
                    int n = in.readInt();
                    if (n < 0 || n > data.length) {
                        throw new IOException(source + ": archived snapshot manifest is truncated");
                    }
                    List<ArchiveKeys.Range> chain = new ArrayList<>(n);
                    for (int k = 0; k < n; k++) {
                        chain.add(new ArchiveKeys.Range(in.readLong(), in.readLong(), in.readInt()));
                    }
                    files.add(chain);
                }
                ranges.add(files);
            }
            return new ArchivedSnapshot(cluster, manifest, ranges);
        } catch (EOFException e) {
            throw new IOException(source + ": archived snapshot manifest is truncated", e);
        } catch (IllegalArgumentException e) {
            throw new IOException(source + ": archived snapshot manifest is inconsistent: " + e.getMessage(), e);
        }
    }
}
