package io.chronik.raft.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.apache.ratis.protocol.Message;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;

import io.chronik.api.consensus.ConsensusException;
import io.chronik.api.consensus.ConsensusException.Reason;

/**
 * The answer a data group's leader sends back to a move's Raft client for a move operation it applied (the mover
 * runs on the source group's leader, usually not a member of the target group, so the outcome travels in the Raft
 * reply): {@code 1 logEnd:long} or {@code 0 reason:utf message:utf}. Stateless.
 */
final class MoveReply {
    /** The origin of operations a mover submits through a Raft client: their outcome goes into the reply. */
    static final long REMOTE_ORIGIN = 0;

    private MoveReply() {
    }

    static Message encode(OpResult outcome) {
        if (outcome instanceof OpResult.Moved m) {
            ByteBuffer b = ByteBuffer.allocate(9).put((byte) 1).putLong(m.logEndOffset());
            return Message.valueOf(ByteString.copyFrom(b.array()));
        }
        ConsensusException e = outcome instanceof OpResult.Failed f ? f.error()
                : new ConsensusException(Reason.STORAGE, "unexpected outcome " + outcome);
        byte[] reason = e.reason().name().getBytes(StandardCharsets.UTF_8);
        byte[] message = String.valueOf(e.getMessage()).getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(1 + 4 + reason.length + 4 + message.length).put((byte) 0)
                .putInt(reason.length).put(reason).putInt(message.length).put(message);
        return Message.valueOf(ByteString.copyFrom(b.array()));
    }

    /**
     * The log end offset the reply reports.
     *
     * @throws ConsensusException the failure it reports (or STORAGE for an empty or unreadable reply)
     */
    static long decode(ByteString reply) throws ConsensusException {
        ByteBuffer b = reply.asReadOnlyByteBuffer();
        if (b.remaining() < 9) {
            throw new ConsensusException(Reason.STORAGE, "the target group answered a move operation with "
                    + b.remaining() + " bytes (the partition is not placed there?)");
        }
        if (b.get() == 1) {
            return b.getLong();
        }
        byte[] reason = new byte[b.getInt()];
        b.get(reason);
        byte[] message = new byte[b.getInt()];
        b.get(message);
        Reason r;
        try {
            r = Reason.valueOf(new String(reason, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            r = Reason.STORAGE;
        }
        throw new ConsensusException(r, new String(message, StandardCharsets.UTF_8));
    }
}
