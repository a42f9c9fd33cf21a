package io.chronik.protocol.kafka.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.consensus.ClusterMetadata;
import io.chronik.api.consensus.PartitionLogs;
import io.chronik.api.metrics.MetricSource;
import io.chronik.protocol.kafka.internal.codec.FrameDecoder;
import io.chronik.protocol.kafka.internal.handler.Broker;
import io.chronik.protocol.kafka.internal.handler.RequestDispatcher;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.netty.util.internal.PlatformDependent;

/** The Kafka listener: a Netty server over the consensus services. Usable without OSGi (tests). */
public final class KafkaServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaServer.class);

    private final ServerSettings settings;
    private final Broker broker;
    private final RequestDispatcher dispatcher;
    private EventLoopGroup group;
    /** The open client connections, closed explicitly (and first) when the listener closes. */
    private final ChannelGroup connections = new DefaultChannelGroup("kafka-connections", ImmediateEventExecutor.INSTANCE);
    private Channel serverChannel;

    public KafkaServer(ServerSettings settings, Supplier<ClusterMetadata> metadata, Supplier<PartitionLogs> logs) {
        this.settings = settings;
        this.broker = new Broker(settings, metadata, logs);
        this.dispatcher = new RequestDispatcher(broker);
    }

    /** Binds the listener. */
    public synchronized void start() throws IOException {
        InetSocketAddress addr = settings.addr().socketAddress();
        int threads = settings.ioThreads() > 0 ? settings.ioThreads() : Runtime.getRuntime().availableProcessors();
        group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("chronik-kafka", true),
                NioIoHandler.newFactory());
        PooledByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
        ServerBootstrap b = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.ALLOCATOR, alloc)
                .childOption(ChannelOption.ALLOCATOR, alloc)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        connections.add(ch);
                        ch.pipeline().addLast("frames", new FrameDecoder(settings.maxRequestBytes()))
                                .addLast("kafka", new ConnectionHandler(dispatcher, broker.requestMetrics(),
                                        settings.maxInflightRequests()));
                    }
                });
        try {
            serverChannel = b.bind(addr).syncUninterruptibly().channel();
        } catch (Exception e) {
            shutdownGroup();
            throw new IOException("cannot listen on " + settings.addr() + ": " + e.getMessage(), e);
        }
        LOG.info("Kafka listener on {} ({} I/O threads, Netty {} sun.misc.Unsafe)", serverChannel.localAddress(), threads,
                PlatformDependent.hasUnsafe() ? "with" : "WITHOUT (slower buffers; export sun.misc to the bundle)");
    }

    /** The protocol's metrics, to register as a service. */
    public MetricSource metrics() {
        return broker.metrics();
    }

    /** The bound port (useful with port 0). */
    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    @Override
    public synchronized void close() {
        if (serverChannel != null) {
            serverChannel.close().syncUninterruptibly();
            // close every connection now, so that clients see the end at once and nothing waits on a request that
            // a stopping event loop would never answer
            connections.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
            LOG.info("Kafka listener on {} closed", serverChannel.localAddress());
            serverChannel = null;
        }
        shutdownGroup();
        broker.close();
    }

    private void shutdownGroup() {
        if (group != null) {
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
            group = null;
        }
    }
}
