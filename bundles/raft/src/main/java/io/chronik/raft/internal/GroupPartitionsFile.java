package io.chronik.raft.internal;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.OptionalInt;
import java.util.UUID;

import org.apache.ratis.protocol.RaftGroupId;

/**
 * The partitions file of one data group, {@code <data.dir>/groups/<group uuid>.partitions}: the group's number and
 * the partitions placed in it, so that on start the group's state machine can open its partition logs before the
 * metadata group has replayed anything.
 *
 * <p>Format (UTF-8 text): a line {@code #group <number>}, then one line per partition,
 * {@code <topic id>\t<topic>\t<partition>}, followed by {@code \tstaging} for a replica a move is filling. Blank lines and other lines starting with {@code #} are ignored.
 *
 * <p>Not thread-safe for writers: the caller serialises {@link #write} calls (one file per group). Every method
 * blocks on file-system I/O.
 */
final class GroupPartitionsFile {

    /**
     * A partition of the group as listed in the file.
     *
     * @param staging whether a move is still filling the replica ({@link PartitionReplica#isStaging})
     */
    record Member(UUID topicId, String topic, int partition, boolean staging) {
        Member(UUID topicId, String topic, int partition) {
            this(topicId, topic, partition, false);
        }
    }

    /**
     * What the file holds.
     *
     * @param groupNo the group number, empty if the file names none
     */
    record Contents(OptionalInt groupNo, List<Member> members) {
    }

    private final Path file;

    GroupPartitionsFile(Path groupsDir, RaftGroupId groupId) {
        this.file = groupsDir.resolve(groupId.getUuid() + ".partitions");
    }

    Path path() {
        return file;
    }

    /**
     * Reads the file.
     *
     * @return its contents, or null if there is no file
     * @throws IOException if the file cannot be read
     * @throws RuntimeException (a {@link NumberFormatException}, {@link IllegalArgumentException} or
     *         {@link ArrayIndexOutOfBoundsException}) if a line is malformed
     */
    Contents read() throws IOException {
        if (!Files.exists(file)) {
            return null;
        }
        OptionalInt groupNo = OptionalInt.empty();
        List<Member> members = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.startsWith("#group ")) {
                groupNo = OptionalInt.of(Integer.parseInt(line.substring(7).trim()));
                continue;
            }
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\t");
            members.add(new Member(UUID.fromString(f[0]), f[1], Integer.parseInt(f[2]),
                    f.length > 3 && f[3].equals("staging")));
        }
        return new Contents(groupNo, members);
    }

    /**
     * Replaces the file atomically (a temporary sibling, forced to disk, moved over the file), creating the groups
     * directory if missing.
     *
     * @throws IOException if writing fails; the previous file is then left as it was
     */
    void write(int groupNo, Collection<Member> members) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.createDirectories(file.getParent());
        try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            w.write("#group " + groupNo + "\n");
            for (Member m : members) {
                w.write(m.topicId() + "\t" + m.topic() + "\t" + m.partition() + (m.staging() ? "\tstaging" : "") + "\n");
            }
        }
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
