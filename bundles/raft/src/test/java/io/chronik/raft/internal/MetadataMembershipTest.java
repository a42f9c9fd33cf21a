package io.chronik.raft.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;

import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeer;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** How a node decides to join, and the group it joins with. */
public class MetadataMembershipTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private static RaftGroup voters(int... ids) {
        return RaftGroup.valueOf(Ids.METADATA_GROUP, Arrays.stream(ids)
                .mapToObj(id -> RaftPeer.newBuilder().setId(Ids.peerId(id)).setAddress("127.0.0.1:500" + id).build())
                .toList());
    }

    @Test
    public void aNodeOutsideTheRunningVotersJoins() {
        assertTrue(MetadataMembership.isVoter(voters(1, 2, 3), 2));
        assertFalse(MetadataMembership.isVoter(voters(1, 2, 3), 4));
    }

    @Test
    public void theJoiningGroupIsTheRunningVotersAndThisNodeAsListener() throws Exception {
        NodeSettings s = NodeSettings.singleNode(4, 5004, tmp.getRoot().toPath(), FlushPolicy.OS);
        RaftGroup g = MetadataMembership.joiningGroup(voters(1, 2, 3), s);
        assertEquals(Ids.METADATA_GROUP, g.getGroupId());
        List<RaftPeer> peers = List.copyOf(g.getPeers());
        assertEquals(4, peers.size());
        for (RaftPeer p : peers) {
            boolean self = p.getId().equals(Ids.peerId(4));
            assertEquals(p.toString(), self ? RaftPeerRole.LISTENER : RaftPeerRole.FOLLOWER, p.getStartupRole());
            if (self) {
                assertEquals("127.0.0.1:5004", p.getAddress());
            }
        }
    }

    @Test
    public void onlyAFreshDataDirectoryProbes() throws Exception {
        NodeSettings s = NodeSettings.singleNode(4, 5004, tmp.getRoot().toPath(), FlushPolicy.OS);
        assertFalse(MetadataMembership.hasMetadataStorage(s));
        Files.createDirectories(s.raftDir().resolve(Ids.METADATA_GROUP.getUuid().toString()));
        assertTrue(MetadataMembership.hasMetadataStorage(s));
    }
}
