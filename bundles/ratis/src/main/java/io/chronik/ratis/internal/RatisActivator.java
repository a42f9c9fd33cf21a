package io.chronik.ratis.internal;

import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.ratis.rpc.RatisContext;

/**
 * Pins Ratis' reflective class loader ({@code ReflectionUtils} captures the thread context class loader once) to
 * this bundle's loader as soon as the bundle starts, before any other bundle can touch Ratis with its own context
 * class loader; on stop, lets gRPC's shared event loops end before the bundle's class loader goes (see
 * {@link GrpcEventLoops}).
 */
public final class RatisActivator implements BundleActivator {
    private static final Logger LOG = LoggerFactory.getLogger(RatisActivator.class);
    /** gRPC releases its shared event loops a second after their last user; a little more than that. */
    static final long EVENT_LOOPS_WAIT_MS = 5_000;

    @Override
    public void start(BundleContext context) {
        RatisContext.run(() -> { });
    }

    @Override
    public void stop(BundleContext context) {
        // Ratis' static state lives as long as this bundle's class loader. When a node stops, the components using
        // Ratis have closed their servers and channels by now (the framework stops Declarative Services before this
        // bundle); whatever still runs makes the wait time out with a warning.
        if (!GrpcEventLoops.awaitTermination(EVENT_LOOPS_WAIT_MS)) {
            LOG.warn("gRPC event loop threads still running after {} ms: {}", EVENT_LOOPS_WAIT_MS,
                    GrpcEventLoops.threads());
        }
    }
}
