package io.chronik.raft.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import org.junit.Test;

import io.chronik.api.consensus.ConsensusException.Reason;

/** The decommission mark: its entry, its effect on placement and replication-factor checks, and its snapshot form. */
public class DecommissionBrokerTest {

    private static MetadataState brokers(int n) throws Exception {
        MetadataState s = MetadataState.EMPTY;
        for (int id = 1; id <= n; id++) {
            s = apply(s, new MetaCommand.RegisterBroker(id, "h" + id, 9092, null, "r" + id, 5001, "c"));
        }
        return s;
    }

    private static MetadataState apply(MetadataState s, MetaCommand c) throws Exception {
        MetaCommand.Applied a = MetaCommand.decode(c.encode()).apply(s);
        a.result().orThrow();
        return a.state();
    }

    @Test
    public void theEntryRoundTripsAndMarksAndUnmarks() throws Exception {
        MetaCommand cmd = new DecommissionBroker(2, true);
        assertEquals(cmd, MetaCommand.decode(cmd.encode()));
        MetadataState s = apply(brokers(3), cmd);
        assertEquals(Set.of(2), s.decommissioned);
        assertEquals(List.of(1, 3), s.liveBrokerIds());
        MetaCommand.Applied again = cmd.apply(s);
        assertSame("marking twice changes nothing", s, again.state());
        s = apply(s, new DecommissionBroker(2, false));
        assertEquals(Set.of(), s.decommissioned);
        assertEquals(List.of(1, 2, 3), s.liveBrokerIds());
        MetaResult r = new DecommissionBroker(9, true).apply(s).result();
        assertTrue(r instanceof MetaResult.Failed);
        assertEquals(Reason.INVALID_REQUEST, ((MetaResult.Failed) r).error());
    }

    @Test
    public void placementAndChecksSkipAMarkedBroker() throws Exception {
        MetadataState s = apply(brokers(4), new DecommissionBroker(4, true));
        s = apply(s, new MetaCommand.CreateTopic("t", UUID.randomUUID(), 12, 3, Map.of(), 100));
        for (Integer g : s.topics.get("t").groups()) {
            assertFalse(s.groups.get(g).replicas().contains(4));
        }
        MetaResult tooMany = new MetaCommand.CreateTopic("u", UUID.randomUUID(), 1, 4, Map.of(), 100).apply(s).result();
        assertEquals(Reason.INVALID_REPLICATION_FACTOR, ((MetaResult.Failed) tooMany).error());
        MetaResult assigned = new MetaCommand.CreateTopic("v", UUID.randomUUID(), -1, -1, Map.of(), 100, true,
                List.of(List.of(1, 4))).apply(s).result();
        assertEquals(Reason.INVALID_REPLICA_ASSIGNMENT, ((MetaResult.Failed) assigned).error());
    }

    @Test
    public void theMarkSurvivesASnapshotAndAFormat3SnapshotHasNone() throws Exception {
        MetadataState s = apply(brokers(3), new DecommissionBroker(3, true));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        MetadataSnapshotCodec.write(s, new DataOutputStream(bytes));
        MetadataState read = MetadataSnapshotCodec.read(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        assertEquals(Set.of(3), read.decommissioned);
        assertEquals(s.brokers, read.brokers);

        // format 3: the same bytes without the trailing decommissioned set, with format number 3
        byte[] b = bytes.toByteArray();
        byte[] v3 = java.util.Arrays.copyOf(b, b.length - 8); // count 1 + one id
        v3[3] = 3;
        MetadataState old = MetadataSnapshotCodec.read(new DataInputStream(new ByteArrayInputStream(v3)));
        assertEquals(Set.of(), old.decommissioned);
        assertEquals(s.brokers, old.brokers);
    }
}
