package io.chronik.raft.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.List;

import org.apache.ratis.protocol.RaftPeer;
import org.junit.Test;

/** Who takes over from a dead leader, and what counts as dead, without a running node. */
public class DeadLeaderTakeoverTest {
    private static RaftPeer peer(int id) {
        return RaftPeer.newBuilder().setId(Ids.peerId(id)).setAddress("127.0.0.1:" + (5000 + id)).build();
    }

    @Test
    public void onlyTheSurvivorWithTheLowestNodeIdStartsAnElection() {
        List<RaftPeer> peers = List.of(peer(3), peer(1), peer(2));
        // leader 1 died: 2 is the first survivor, 3 waits for the election timeout
        assertTrue(DeadLeaderTakeover.firstSurvivor(peers, Ids.peerId(1), Ids.peerId(2)));
        assertFalse(DeadLeaderTakeover.firstSurvivor(peers, Ids.peerId(1), Ids.peerId(3)));
        // leader 2 died: 1 goes
        assertTrue(DeadLeaderTakeover.firstSurvivor(peers, Ids.peerId(2), Ids.peerId(1)));
        assertFalse(DeadLeaderTakeover.firstSurvivor(peers, Ids.peerId(2), Ids.peerId(3)));
        // a node that is not a member never goes
        assertFalse(DeadLeaderTakeover.firstSurvivor(peers, Ids.peerId(1), Ids.peerId(4)));
    }

    @Test
    public void aCandidateNeedsAMajorityOfTheVotersIncludingItself() {
        // three voters, one dead: the other survivor must answer; five: two of the other three
        assertEquals(2, DeadLeaderTakeover.votesNeeded(3));
        assertEquals(3, DeadLeaderTakeover.votesNeeded(5));
        assertEquals(3, DeadLeaderTakeover.votesNeeded(4));
        assertEquals(1, DeadLeaderTakeover.votesNeeded(1));
    }

    @Test
    public void onlyARefusedConnectionCountsAsDead() throws Exception {
        InetSocketAddress address;
        try (ServerSocket listening = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            address = new InetSocketAddress(listening.getInetAddress(), listening.getLocalPort());
            assertFalse("something listens: alive", DeadLeaderTakeover.refused(address));
        }
        assertTrue("nothing listens any more: dead", DeadLeaderTakeover.refused(address));
    }
}
