package io.chronik.raft.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import java.util.UUID;

import org.apache.ratis.protocol.RaftGroupId;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The partitions file of a data group: its format and its atomic rewrite. */
public class GroupPartitionsFileTest {

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    @Test
    public void missingFileReadsAsNull() throws Exception {
        Path groups = folder.getRoot().toPath().resolve("groups");
        assertNull(new GroupPartitionsFile(groups, RaftGroupId.randomId()).read());
    }

    @Test
    public void writtenMembersReadBack() throws Exception {
        Path groups = folder.getRoot().toPath().resolve("groups"); // created by the first write
        RaftGroupId id = RaftGroupId.randomId();
        GroupPartitionsFile file = new GroupPartitionsFile(groups, id);
        assertEquals(groups.resolve(id.getUuid() + ".partitions"), file.path());
        List<GroupPartitionsFile.Member> members = List.of(
                new GroupPartitionsFile.Member(UUID.randomUUID(), "orders", 0),
                new GroupPartitionsFile.Member(UUID.randomUUID(), "tópico", 7),
                new GroupPartitionsFile.Member(UUID.randomUUID(), "moving", 2, true));
        file.write(3, members);
        assertEquals(new GroupPartitionsFile.Contents(OptionalInt.of(3), members), file.read());
        assertFalse("no temporary file left", Files.exists(file.path().resolveSibling(file.path().getFileName() + ".tmp")));

        file.write(3, List.of(members.get(1)));
        assertEquals(List.of(members.get(1)), file.read().members());
    }

    @Test
    public void blankAndCommentLinesAreIgnored() throws Exception {
        Path groups = Files.createDirectories(folder.getRoot().toPath().resolve("groups"));
        RaftGroupId id = RaftGroupId.randomId();
        UUID topicId = UUID.randomUUID();
        Files.writeString(groups.resolve(id.getUuid() + ".partitions"),
                "# written by hand\n\n" + topicId + "\tt\t2\n", StandardCharsets.UTF_8);
        GroupPartitionsFile.Contents contents = new GroupPartitionsFile(groups, id).read();
        assertEquals(OptionalInt.empty(), contents.groupNo());
        assertEquals(List.of(new GroupPartitionsFile.Member(topicId, "t", 2)), contents.members());
    }
}
