package io.chronik.transport.memory.internal;

import java.io.IOException;
import java.net.ConnectException;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.TimeoutIOException;
import org.apache.ratis.thirdparty.com.google.protobuf.MessageLite;
import org.apache.ratis.thirdparty.com.google.protobuf.Parser;

import io.chronik.ratis.rpc.TransportObserver;
import io.chronik.transport.memory.Faults;
import io.chronik.transport.memory.MemoryNetwork;

/**
 * Sends requests from one address to Raft peers over the {@link MemoryNetwork} and decodes their replies, with a
 * timeout per call (a lost message is never answered), and reports the traffic to the {@link TransportObserver}.
 * A peer counts as connected from its first answer until a call to it is refused. Thread-safe; never blocks.
 */
final class Sender {
    private final MemoryNetwork network;
    private final String from;
    private final Peers peers;
    private final TransportObserver observer;
    private final Set<String> connected = ConcurrentHashMap.newKeySet();

    Sender(MemoryNetwork network, String from, Peers peers, TransportObserver observer) {
        this.network = network;
        this.from = from;
        this.peers = peers;
        this.observer = observer;
    }

    Peers peers() {
        return peers;
    }

    /**
     * Calls {@code to} and parses its reply.
     *
     * @param timeoutMillis how long to wait for the reply when the network adds no delay; the delays (with
     *                      jitter) the network's faults put on this round trip now are added to it, as timeouts in a
     *                      real deployment are set above the round-trip time
     * @return the reply; completed exceptionally with the IOException the peer answered with, a
     *         {@link ConnectException} (nothing bound there), or a {@link TimeoutIOException} after the
     *         timeout; on a network thread
     */
    <R> CompletableFuture<R> call(RaftPeerId to, Call call, MessageLite request, Parser<R> replyParser,
            long timeoutMillis) {
        String address = peers.address(to);
        String label = to.toString();
        if (address == null) {
            return CompletableFuture.failedFuture(new IOException("peer " + to + " has no known address"));
        }
        byte[] frame = Frames.request(call, request);
        long timeout = timeoutMillis + maxDelay(network.faults(from, address)) + maxDelay(network.faults(address, from));
        observer.sent(label, call.kind, frame.length);
        long start = System.nanoTime();
        CompletableFuture<R> result = new CompletableFuture<>();
        network.send(from, address, frame).orTimeout(timeout, TimeUnit.MILLISECONDS).whenComplete((reply, error) -> {
            Throwable failure = error == null ? null : Frames.unwrap(error);
            R parsed = null;
            if (failure == null) {
                observer.received(label, call.kind, reply.length);
                try {
                    parsed = Frames.reply(reply, replyParser);
                } catch (IOException e) {
                    failure = e;
                }
                if (connected.add(label)) {
                    observer.connected(label);
                }
            } else if (failure instanceof TimeoutException) {
                failure = new TimeoutIOException(from + " -> " + to + " (" + address + "): no reply to " + call
                        + " within " + timeout + " ms", (TimeoutException) failure);
            } else if (failure instanceof ConnectException && connected.remove(label)) {
                observer.disconnected(label);
            }
            observer.completed(label, call.kind, System.nanoTime() - start, failure);
            if (failure != null) {
                result.completeExceptionally(failure);
            } else {
                result.complete(parsed);
            }
        });
        return result;
    }

    private static long maxDelay(Faults f) {
        return f.delayMillis() + f.jitterMillis();
    }

    /** Forgets every connection (reported as closed). */
    void close() {
        for (String peer : connected) {
            if (connected.remove(peer)) {
                observer.disconnected(peer);
            }
        }
    }
}
