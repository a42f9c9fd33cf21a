package io.chronik.raft.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.zip.CRC32;

import io.chronik.log.LinkedFile;

/**
 * What a data group's snapshot holds: the group, the Raft entry it was taken at, and for every partition replica of
 * the group its directory name, its log start and end offsets and its files (segment files, the checkpoint with the
 * producer state and the leader-epoch cache, the log start offset, the replica's markers) with the bytes of each that
 * belong to the snapshot. The files themselves sit beside it, one subdirectory per partition named like the
 * replica's directory (see {@link DataSnapshotStorage}); the object-store copy of a snapshot refers to the same
 * names.
 *
 * <p>Binary form, file {@value #FILE_NAME}: magic {@code CHSM}, format 1, group number, term, index, the partitions
 * (topic id, topic, partition, directory name, staging flag, log start offset, log end offset, then the files as
 * name, size, segment flag), and the CRC32 of everything before it. Immutable; safe on any thread.
 *
 * @param groupNo    the data group's number
 * @param term       the term of the entry the snapshot was taken at
 * @param index      the index of that entry: every partition holds exactly the entries up to it
 * @param partitions the group's partition replicas at that entry
 */
record SnapshotManifest(int groupNo, long term, long index, List<Partition> partitions) {
    static final String FILE_NAME = "MANIFEST";
    private static final int MAGIC = 0x4348534D; // "CHSM"
    private static final int FORMAT = 1;

    /**
     * One partition replica in a snapshot.
     *
     * @param dirName the replica's directory name below the node's {@code logs} directory (and in the snapshot)
     * @param staging whether a move was still filling the replica ({@link PartitionReplica#isStaging})
     * @param files   its files, by name, with the bytes of each that belong to the snapshot
     */
    record Partition(UUID topicId, String topic, int partition, String dirName, boolean staging, long logStartOffset,
                     long logEndOffset, List<LinkedFile> files) {
        Partition {
            files = List.copyOf(files);
        }

        String key() {
            return PartitionReplica.key(topic, partition);
        }

        /** The bytes of its files that belong to the snapshot. */
        long bytes() {
            return files.stream().mapToLong(LinkedFile::size).sum();
        }
    }

    SnapshotManifest {
        partitions = List.copyOf(partitions);
    }

    /** The bytes of every partition's files that belong to the snapshot. */
    long bytes() {
        return partitions.stream().mapToLong(Partition::bytes).sum();
    }

    byte[] encode() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeInt(MAGIC);
            out.writeInt(FORMAT);
            out.writeInt(groupNo);
            out.writeLong(term);
            out.writeLong(index);
            out.writeInt(partitions.size());
            for (Partition p : partitions) {
                out.writeLong(p.topicId().getMostSignificantBits());
                out.writeLong(p.topicId().getLeastSignificantBits());
                out.writeUTF(p.topic());
                out.writeInt(p.partition());
                out.writeUTF(p.dirName());
                out.writeBoolean(p.staging());
                out.writeLong(p.logStartOffset());
                out.writeLong(p.logEndOffset());
                out.writeInt(p.files().size());
                for (LinkedFile f : p.files()) {
                    out.writeUTF(f.name());
                    out.writeLong(f.size());
                    out.writeBoolean(f.segment());
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

    /**
     * Reads a manifest from its binary form.
     *
     * @throws IOException naming {@code source} if it is not a manifest, is truncated or fails its CRC32
     */
    static SnapshotManifest decode(byte[] data, String source) throws IOException {
        if (data.length < 12) {
            throw new IOException(source + ": not a snapshot manifest (" + data.length + " bytes)");
        }
        CRC32 crc = new CRC32();
        crc.update(data, 0, data.length - 4);
        int stored = ByteBuffer.wrap(data, data.length - 4, 4).getInt();
        if ((int) crc.getValue() != stored) {
            throw new IOException(source + ": snapshot manifest fails its CRC32 check");
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data, 0, data.length - 4))) {
            if (in.readInt() != MAGIC) {
                throw new IOException(source + ": not a snapshot manifest (bad magic)");
            }
            int format = in.readInt();
            if (format != FORMAT) {
                throw new IOException(source + ": unsupported snapshot manifest format " + format);
            }
            int groupNo = in.readInt();
            long term = in.readLong();
            long index = in.readLong();
            int n = in.readInt();
            List<Partition> partitions = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                UUID topicId = new UUID(in.readLong(), in.readLong());
                String topic = in.readUTF();
                int partition = in.readInt();
                String dirName = in.readUTF();
                checkName(dirName, source);
                boolean staging = in.readBoolean();
                long start = in.readLong();
                long end = in.readLong();
                int files = in.readInt();
                List<LinkedFile> list = new ArrayList<>(files);
                for (int j = 0; j < files; j++) {
                    String name = in.readUTF();
                    checkName(name, source);
                    list.add(new LinkedFile(name, in.readLong(), in.readBoolean()));
                }
                partitions.add(new Partition(topicId, topic, partition, dirName, staging, start, end, list));
            }
            return new SnapshotManifest(groupNo, term, index, partitions);
        } catch (java.io.EOFException e) {
            throw new IOException(source + ": snapshot manifest is truncated", e);
        }
    }

    /** A file or directory name from a manifest must stay inside the snapshot: no separators, no dot names. */
    private static void checkName(String name, String source) throws IOException {
        if (name.isEmpty() || name.equals(".") || name.equals("..") || name.indexOf('/') >= 0 || name.indexOf('\\') >= 0
                || name.indexOf('\0') >= 0) {
            throw new IOException(source + ": snapshot manifest names an invalid file '" + name + "'");
        }
    }

    /** Writes the manifest into {@code dir} durably (temporary file, forced, renamed). */
    void writeTo(Path dir) throws IOException {
        Path file = dir.resolve(FILE_NAME);
        Path tmp = dir.resolve(FILE_NAME + ".tmp");
        Files.write(tmp, encode());
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Reads the manifest in {@code dir}. */
    static SnapshotManifest readFrom(Path dir) throws IOException {
        Path file = dir.resolve(FILE_NAME);
        return decode(Files.readAllBytes(file), file.toString());
    }
}
