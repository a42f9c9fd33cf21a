package io.chronik.raft.internal;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

import io.chronik.api.consensus.ConsensusException.Reason;

/**
 * Marks broker {@code nodeId} as being decommissioned ({@code decommissioning} true) or takes the mark away (false):
 * a marked broker keeps serving the replicas it holds, but placement, replication-factor checks and explicit
 * assignments no longer count it among the brokers a new replica may go to ({@link MetadataState#liveBrokers()}).
 * Fails for a broker that is not registered; marking twice changes nothing.
 */
record DecommissionBroker(int nodeId, boolean decommissioning) implements MetaCommand {
    /** Reads the fields after the type byte. */
    static DecommissionBroker read(DataInput in) throws IOException {
        return new DecommissionBroker(in.readInt(), in.readBoolean());
    }

    @Override
    public void write(DataOutput out) throws IOException {
        out.writeByte(DECOMMISSION_BROKER);
        out.writeInt(nodeId);
        out.writeBoolean(decommissioning);
    }

    @Override
    public Applied apply(MetadataState s) {
        if (!s.brokers.containsKey(nodeId)) {
            return new Applied(s, MetaResult.fail(Reason.INVALID_REQUEST, "node " + nodeId + " is not a registered broker"));
        }
        if (s.decommissioned.contains(nodeId) == decommissioning) {
            return new Applied(s, MetaResult.ok(0));
        }
        MetadataState.Builder b = s.toBuilder();
        if (decommissioning) {
            b.decommissioned.add(nodeId);
        } else {
            b.decommissioned.remove(nodeId);
        }
        return new Applied(b.build(), MetaResult.ok(0));
    }
}
