package io.chronik.protocol.kafka.internal;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.kafka.common.protocol.ApiKeys;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.protocol.kafka.internal.codec.KafkaErrors;
import io.chronik.protocol.kafka.internal.codec.MalformedRequestException;
import io.chronik.protocol.kafka.internal.codec.Outcome;
import io.chronik.protocol.kafka.internal.codec.RequestDecoder;
import io.chronik.protocol.kafka.internal.codec.ResponseEncoder;
import io.chronik.protocol.kafka.internal.handler.RequestDispatcher;
import io.chronik.protocol.kafka.internal.metrics.RequestMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;

/**
 * One connection: decodes frames into requests, dispatches them, and writes the responses strictly in request
 * order although requests complete in any order (pipelining). When too many requests are in flight it stops
 * reading until the backlog halves. All state is confined to the connection's event loop.
 *
 * <p>Each decoded request is counted in {@link RequestMetrics} when it is decoded and observed again when its response
 * is queued on the channel (or, without a response, when it is taken off the queue), with the error codes of the
 * response. A frame that does not decode is not counted (the connection closes).
 */
final class ConnectionHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionHandler.class);

    private final RequestDispatcher dispatcher;
    private final RequestMetrics metrics;
    private final int maxInflight;
    private final ArrayDeque<Inflight> inflight = new ArrayDeque<>();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private ChannelHandlerContext ctx;
    private boolean closed;

    /** A request in flight: its outcome, its API (null for a frame that did not decode) and when it was decoded. */
    private record Inflight(CompletableFuture<Outcome> outcome, ApiKeys api, long startNanos) {
    }

    ConnectionHandler(RequestDispatcher dispatcher, RequestMetrics metrics, int maxInflight) {
        this.dispatcher = dispatcher;
        this.metrics = metrics;
        this.maxInflight = maxInflight;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    private String clientHost;

    /** The peer's address in Kafka's form ({@code /127.0.0.1}), as group descriptions show it. */
    private String clientHost() {
        if (clientHost == null) {
            java.net.SocketAddress a = ctx.channel().remoteAddress();
            clientHost = a instanceof java.net.InetSocketAddress inet && inet.getAddress() != null
                    ? inet.getAddress().toString() : "";
        }
        return clientHost;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf frame = (ByteBuf) msg;
        if (closed) {
            frame.release();
            return;
        }
        CompletableFuture<Outcome> outcome;
        ApiKeys api = null;
        long start = 0;
        try {
            RequestDecoder.Decoded decoded = RequestDecoder.decode(frame, clientHost());
            if (decoded.immediate() != null) {
                // an ApiVersions request of a version this broker does not support
                api = ApiKeys.API_VERSIONS;
                start = metrics.received(api);
                outcome = CompletableFuture.completedFuture(decoded.immediate());
            } else {
                api = decoded.request().apiKey();
                start = metrics.received(api);
                try {
                    outcome = dispatcher.handle(decoded.request(), ctx.channel().eventLoop());
                } catch (RuntimeException e) {
                    LOG.warn("handling {} from {} failed; closing the connection", decoded.request(),
                            ctx.channel().remoteAddress(), e);
                    outcome = CompletableFuture.completedFuture(Outcome.CLOSE);
                }
            }
        } catch (MalformedRequestException e) {
            if (LOG.isDebugEnabled()) {
                LOG.debug("closing connection from {}: {}", ctx.channel().remoteAddress(), e.getMessage(), e.getCause());
            } else {
                LOG.info("closing connection from {}: {}{}", ctx.channel().remoteAddress(), e.getMessage(),
                        e.getCause() == null ? "" : " (" + e.getCause() + ")");
            }
            outcome = CompletableFuture.completedFuture(Outcome.CLOSE);
        } finally {
            frame.release();
        }
        inflight.add(new Inflight(outcome, api, start));
        if (outcome.isDone()) {
            if (inflight.size() == 1) {
                drain();
            }
        } else {
            EventLoop loop = ctx.channel().eventLoop();
            outcome.whenComplete((o, t) -> {
                if (loop.inEventLoop()) {
                    drain();
                } else if (drainScheduled.compareAndSet(false, true)) {
                    // one task drains (and flushes) everything that completed meanwhile
                    loop.execute(this::scheduledDrain);
                }
            });
        }
        if (inflight.size() >= maxInflight && ctx.channel().config().isAutoRead()) {
            ctx.channel().config().setAutoRead(false);
        }
    }

    private void scheduledDrain() {
        drainScheduled.set(false);
        drain();
    }

    /** Writes every completed response at the head of the queue, in order. Runs on the event loop. */
    private void drain() {
        if (closed) {
            return;
        }
        boolean wrote = false;
        while (!inflight.isEmpty() && inflight.peekFirst().outcome().isDone()) {
            Inflight f = inflight.pollFirst();
            Outcome o;
            try {
                o = f.outcome().join();
            } catch (RuntimeException e) {
                LOG.warn("a request from {} failed; closing the connection", ctx.channel().remoteAddress(),
                        KafkaErrors.unwrap(e));
                o = Outcome.CLOSE;
            }
            if (o.isClose()) {
                closed = true;
                inflight.clear();
                if (wrote) {
                    ctx.flush();
                }
                ctx.close();
                return;
            }
            if (o.hasResponse()) {
                ByteBuf encoded;
                try {
                    encoded = ResponseEncoder.encode(ctx.alloc(), o);
                } catch (RuntimeException e) {
                    LOG.warn("encoding a {} response v{} failed; closing the connection", o.body().getClass().getSimpleName(),
                            o.version(), e);
                    closed = true;
                    inflight.clear();
                    ctx.close();
                    return;
                }
                ctx.write(encoded, ctx.voidPromise());
                wrote = true;
            }
            if (f.api() != null) {
                metrics.completed(f.api(), f.startNanos(), o.hasResponse() ? o.body() : null, o.version());
            }
        }
        if (wrote) {
            ctx.flush();
        }
        if (!ctx.channel().config().isAutoRead() && inflight.size() <= maxInflight / 2) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        closed = true;
        inflight.clear();
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("connection from {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        closed = true;
        inflight.clear();
        ctx.close();
    }
}
