package io.chronik.transport.memory.internal;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;

/**
 * The addresses of the Raft peers a server or client knows ({@link RaftPeer#getAddress()}, added through Ratis'
 * {@code RaftPeer.Add}), and the reverse, to label traffic by peer id. Thread-safe.
 */
final class Peers {
    private final Map<RaftPeerId, String> addresses = new ConcurrentHashMap<>();
    private final Map<String, String> ids = new ConcurrentHashMap<>();

    void add(Collection<RaftPeer> peers) {
        for (RaftPeer p : peers) {
            if (p.getAddress() != null) {
                addresses.put(p.getId(), p.getAddress());
                ids.put(p.getAddress(), p.getId().toString());
            }
        }
    }

    /** The address of {@code peer}, or null if it was never added. */
    String address(RaftPeerId peer) {
        return addresses.get(peer);
    }

    /** The peer id bound to {@code address} as a label, or the address itself if no peer has it. */
    String label(String address) {
        return ids.getOrDefault(address, address);
    }
}
