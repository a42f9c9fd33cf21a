package io.chronik.itests.chaos;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.netcrusher.core.reactor.NioReactor;
import org.netcrusher.core.throttle.Throttler;
import org.netcrusher.tcp.TcpCrusher;
import org.netcrusher.tcp.TcpCrusherBuilder;

/**
 * One fault-injecting TCP proxy (a NetCrusher {@link TcpCrusher}) on a loopback address, forwarding to one node's port.
 * What NetCrusher does itself: {@link #blackhole} (freeze: connections stay open, nothing passes either way, new
 * connections wait in the backlog — a network partition that drops packets), {@link #resetAll} and
 * {@link #resetOne} (close connection pairs: both ends see a reset). What this class adds on NetCrusher's hooks:
 * {@link #latency} (a delay of every buffer with jitter, through a per-connection {@link Throttler} that reads the
 * current setting, so it changes on live connections too) and {@link #dropOneWay} (half-open: one direction's bytes
 * are swallowed by a transform filter while the other flows; the stream is broken from then on, so {@link #heal}
 * closes the connections it spoiled).
 *
 * <p>Thread-safe: NetCrusher runs every operation on its reactor thread; the settings here are volatile.
 */
final class ChaosProxy implements AutoCloseable {
    private final String name;
    private final TcpCrusher crusher;
    private volatile long delayNs;
    private volatile long jitterNs;
    private volatile boolean dropToServer;
    private volatile boolean dropToClient;
    private volatile boolean spoiled;
    private boolean frozen;

    /**
     * Opens the proxy at once.
     *
     * @param name     what faults report it as (e.g. {@code raft 1->2})
     * @param bindHost a loopback address the proxy listens on
     * @param target   the port of 127.0.0.1 it forwards to
     */
    ChaosProxy(NioReactor reactor, String name, String bindHost, int bindPort, int target) {
        this.name = name;
        this.crusher = TcpCrusherBuilder.builder().withReactor(reactor)
                .withBindAddress(bindHost, bindPort).withConnectAddress("127.0.0.1", target)
                .withTcpNoDelay(true).withConnectionTimeoutMs(5_000)
                // incoming: client -> server, outgoing: server -> client
                .withIncomingThrottlerFactory(client -> this::delay)
                .withOutgoingThrottlerFactory(client -> this::delay)
                .withIncomingTransformFilterFactory(client -> bb -> {
                    if (dropToServer) {
                        spoiled = true;
                        bb.position(bb.limit());
                    }
                })
                .withOutgoingTransformFilterFactory(client -> bb -> {
                    if (dropToClient) {
                        spoiled = true;
                        bb.position(bb.limit());
                    }
                })
                .buildAndOpen();
    }

    private long delay(java.nio.ByteBuffer bb) {
        long d = delayNs;
        if (d <= 0) {
            return Throttler.NO_DELAY_NS;
        }
        long j = jitterNs;
        return j <= 0 ? d : d - j + (long) (ThreadLocalRandom.current().nextDouble() * 2 * j);
    }

    String name() {
        return name;
    }

    /** Delays every buffer in both directions by {@code delayMs} ± {@code jitterMs} (uniform); 0 turns it off. */
    void latency(long delayMs, long jitterMs) {
        this.delayNs = TimeUnit.MILLISECONDS.toNanos(delayMs);
        this.jitterNs = TimeUnit.MILLISECONDS.toNanos(Math.min(jitterMs, delayMs));
    }

    /** Nothing passes any more, either way, on open connections or new ones (they wait in the listen backlog). */
    synchronized void blackhole() {
        if (!frozen) {
            crusher.freeze();
            frozen = true;
        }
    }

    /**
     * Half-open: bytes towards the server ({@code toServer}) or towards the client are swallowed from now on; the
     * other direction still flows and neither end sees the connection close.
     */
    void dropOneWay(boolean toServer) {
        if (toServer) {
            dropToServer = true;
        } else {
            dropToClient = true;
        }
    }

    /** Ends every fault: latency off, traffic flows; connections a one-way drop spoiled are closed (reset). */
    synchronized void heal() {
        latency(0, 0);
        dropToServer = false;
        dropToClient = false;
        if (frozen) {
            crusher.unfreeze();
            frozen = false;
        }
        if (spoiled) {
            spoiled = false;
            crusher.closeAllPairs();
        }
    }

    /** Closes every open connection (both ends see it reset); new connections are accepted as before. */
    void resetAll() {
        crusher.closeAllPairs();
    }

    /** Closes one open connection chosen by {@code random}; returns whether there was one. */
    boolean resetOne(Random random) {
        List<InetSocketAddress> clients = new ArrayList<>(crusher.getClientAddresses());
        if (clients.isEmpty()) {
            return false;
        }
        return crusher.closeClient(clients.get(random.nextInt(clients.size())));
    }

    /** Connections accepted since the proxy opened. */
    int accepted() {
        return crusher.getClientTotalCount();
    }

    @Override
    public void close() {
        crusher.close();
    }

    @Override
    public String toString() {
        return name + " " + crusher.getBindAddress() + " -> " + crusher.getConnectAddress();
    }
}
