package io.chronik.raft.internal;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.nio.ByteBuffer;
import java.util.UUID;

import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;

/** Group and peer identities: fixed, derived from constants, identical on every node. */
final class Ids {
    /** The metadata group: one per cluster, derived from a constant. */
    static final RaftGroupId METADATA_GROUP = RaftGroupId.valueOf(
            UUID.nameUUIDFromBytes("io.chronik.raft/metadata".getBytes(StandardCharsets.UTF_8)));

    private Ids() {
    }

    /** The id of data group number {@code no} (numbers are allocated by the metadata group). */
    /** Data group ids by number: derived with an MD5 name hash, and looked up on every request, so kept. */
    private static final java.util.concurrent.ConcurrentMap<Integer, RaftGroupId> DATA_GROUPS =
            new java.util.concurrent.ConcurrentHashMap<>();

    static RaftGroupId dataGroup(int no) {
        return DATA_GROUPS.computeIfAbsent(no, n ->
                RaftGroupId.valueOf(UUID.nameUUIDFromBytes(("io.chronik.raft/data/" + n).getBytes(StandardCharsets.UTF_8))));
    }

    static RaftPeerId peerId(int nodeId) {
        return RaftPeerId.valueOf("n" + nodeId);
    }

    /** The node id of a peer id made by {@link #peerId}, or -1. */
    static int nodeId(RaftPeerId peerId) {
        if (peerId == null) {
            return -1;
        }
        String s = peerId.toString();
        try {
            return s.startsWith("n") ? Integer.parseInt(s.substring(1)) : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Kafka's textual form of a UUID: 22 characters of URL-safe base64 without padding. */
    static String kafkaUuid(UUID uuid) {
        ByteBuffer b = ByteBuffer.allocate(16);
        b.putLong(uuid.getMostSignificantBits()).putLong(uuid.getLeastSignificantBits());
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b.array());
    }
}
