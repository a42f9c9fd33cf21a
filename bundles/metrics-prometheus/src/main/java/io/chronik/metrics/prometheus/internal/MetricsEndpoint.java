package io.chronik.metrics.prometheus.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.sun.net.httpserver.HttpServer;

import io.chronik.api.metrics.MetricSource;
import io.chronik.api.net.HostPort;
import io.prometheus.client.Collector;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.exporter.HTTPServer;
import io.prometheus.client.hotspot.BufferPoolsExports;
import io.prometheus.client.hotspot.ClassLoadingExports;
import io.prometheus.client.hotspot.GarbageCollectorExports;
import io.prometheus.client.hotspot.MemoryPoolsExports;
import io.prometheus.client.hotspot.StandardExports;
import io.prometheus.client.hotspot.ThreadExports;
import io.prometheus.client.hotspot.VersionInfoExports;

/**
 * The {@code /metrics} HTTP endpoint, independent of OSGi: an own {@link CollectorRegistry} with the JVM
 * collectors of simpleclient_hotspot, {@code chronik_build_info} while started, and one
 * {@link MetricSourceCollector} per added {@link MetricSource}; served by simpleclient's {@link HTTPServer}
 * (paths {@code /metrics}, {@code /} and {@code /-/healthy}; {@code ?name[]=} filtering; text format 0.0.4,
 * or OpenMetrics when the client asks for it; gzip when accepted).
 *
 * <p>Sources can be added and removed at any time, also while stopped. Thread-safe.
 */
public final class MetricsEndpoint {
    private static final Logger LOG = LoggerFactory.getLogger(MetricsEndpoint.class);

    private static final int BACKLOG = 50;
    private static final long STOP_WAIT_SECONDS = 5;

    private final ChronikCollectorRegistry registry = new ChronikCollectorRegistry();
    private final Map<Object, MetricSourceCollector> sources = new ConcurrentHashMap<>();

    private Server server;
    private BuildInfoCollector buildInfo;

    public MetricsEndpoint() {
        // The hotspot collectors of DefaultExports except MemoryAllocationExports: that one adds a notification
        // listener to the platform's GarbageCollectorMXBeans that can never be removed, so it would outlive
        // this bundle (and keep its class loader alive).
        for (Collector c : List.of(new StandardExports(), new MemoryPoolsExports(), new BufferPoolsExports(),
                new GarbageCollectorExports(), new ThreadExports(), new ClassLoadingExports(),
                new VersionInfoExports())) {
            registry.register(c);
        }
    }

    /**
     * Binds {@code address} ({@code host:port}; {@link HostPort#parseListen} rules: an empty host binds every
     * interface, port 0 a free port) and serves the metrics with {@code chronik_build_info} of
     * {@code version}.
     *
     * @return the bound address (with the actual port when {@code port} is 0)
     * @throws IllegalArgumentException "metrics address '&lt;address&gt;' is not host:port: &lt;reason&gt;" if
     *                                  {@code address} does not follow the rules
     * @throws IOException "cannot listen on &lt;address&gt;: &lt;reason&gt;" if the address cannot be bound
     */
    public synchronized InetSocketAddress start(String address, String version) throws IOException {
        if (server != null) {
            throw new IllegalStateException("the metrics endpoint is already listening on " + server.address());
        }
        HostPort listen;
        try {
            listen = HostPort.parseListen(address);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("metrics address " + e.getMessage(), e);
        }
        InetSocketAddress socketAddress = listen.socketAddress();
        if (socketAddress.isUnresolved()) {
            throw new IOException("cannot listen on " + listen + ": unknown host " + socketAddress.getHostString());
        }
        HttpServer http;
        try {
            http = HttpServer.create(socketAddress, BACKLOG);
        } catch (IOException e) {
            throw new IOException("cannot listen on " + listen + ": " + e.getMessage(), e);
        }
        BuildInfoCollector info = new BuildInfoCollector(version);
        try {
            registry.register(info);
            server = new Server(http, registry);
        } catch (IOException | RuntimeException e) {
            registry.unregister(info);
            http.stop(0);
            throw e;
        }
        buildInfo = info;
        return http.getAddress();
    }

    /** Stops serving and releases the port; does nothing if not started. */
    public synchronized void stop() {
        if (server == null) {
            return;
        }
        server.closeAndWait();
        registry.unregister(buildInfo);
        server = null;
        buildInfo = null;
    }

    /** The bound address, or {@code null} if not started. */
    public synchronized InetSocketAddress address() {
        return server == null ? null : server.address();
    }

    /**
     * Adds a source under {@code key}, replacing the one added under the same key before.
     *
     * @param description names the source in log messages
     */
    public void addSource(Object key, MetricSource source, String description) {
        MetricSourceCollector collector = new MetricSourceCollector(source, description);
        synchronized (sources) {
            MetricSourceCollector previous = sources.put(key, collector);
            if (previous != null) {
                registry.unregister(previous);
            }
            registry.register(collector);
        }
        LOG.debug("metric source {} added", description);
    }

    /** Removes the source added under {@code key}; {@code false} if there was none. */
    public boolean removeSource(Object key) {
        MetricSourceCollector collector;
        synchronized (sources) {
            collector = sources.remove(key);
            if (collector != null) {
                registry.unregister(collector);
            }
        }
        if (collector != null) {
            LOG.debug("metric source {} removed", collector);
        }
        return collector != null;
    }

    /** The registry: what a scrape returns. */
    public CollectorRegistry registry() {
        return registry;
    }

    /** simpleclient's HTTPServer on a server we bound, with a stop that waits for the handler threads to end. */
    private static final class Server extends HTTPServer {
        Server(HttpServer http, CollectorRegistry registry) throws IOException {
            super(http, registry, true);
        }

        InetSocketAddress address() {
            return server.getAddress();
        }

        void closeAndWait() {
            close(); // stops the HttpServer (closes the socket, ends the dispatcher) and shuts the pool down
            try {
                if (!executorService.awaitTermination(STOP_WAIT_SECONDS, TimeUnit.SECONDS)) {
                    executorService.shutdownNow();
                }
            } catch (InterruptedException e) {
                executorService.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
    }
}
