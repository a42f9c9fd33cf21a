package io.chronik.launcher;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.osgi.framework.BundleContext;
import org.osgi.framework.launch.Framework;

/**
 * A Chronik node inside the calling JVM, started exactly as {@code bin/chronik start} starts one: the same settings
 * rules ({@code conf/chronik.properties} under the flags given here; the process environment is not read), the same
 * Felix framework with the bundles of {@code <home>/bundle} and the configuration of {@code <home>/conf/config}, the
 * same readiness checks (object store, every bundle active and component satisfied, Kafka listener open). Several
 * embedded nodes in one JVM are several frameworks, each with its own class loaders, so they share no bundle state.
 *
 * <p>For tests: the in-JVM cluster harness ({@code itests}, docs/in-jvm-cluster.md) starts its nodes through this
 * class. The host JVM must have the launcher's class path (Felix, SLF4J with one provider, this jar).
 */
public final class EmbeddedNode implements AutoCloseable {
    private final Node node;
    private final int nodeId;

    private EmbeddedNode(Node node, int nodeId) {
        this.node = node;
        this.nodeId = nodeId;
    }

    /** The node could not start (bad setting, port in use, no quorum within the timeout, ...); nothing stays running. */
    public static final class StartFailure extends Exception {
        private static final long serialVersionUID = 1L;

        StartFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Starts a node and returns once it is ready, as {@code bin/chronik start} does before it logs "started in":
     * {@link #create} and {@link #start(long)} in one.
     *
     * @throws StartFailure the node did not start; everything it started is stopped again
     */
    public static EmbeddedNode start(Path home, Map<String, String> flags, Map<String, String> frameworkProperties,
            long readyTimeoutMillis) throws StartFailure {
        EmbeddedNode node = create(home, flags, frameworkProperties);
        node.start(readyTimeoutMillis);
        return node;
    }

    /**
     * A node with these settings, not started yet.
     *
     * @param home                a distribution directory: {@code bundle/} and {@code conf/} (conf/config is read by
     *                            the framework's FileInstall; {@code conf/chronik.properties} if present)
     * @param flags               the node's settings by flag name without dashes ({@code node-id} → {@code 1},
     *                            {@code peers}, {@code raft-addr}, {@code kafka-addr}, {@code data-dir}, ...)
     * @param frameworkProperties added to the framework's properties; a value for
     *                            {@code org.osgi.framework.system.packages.extra} is appended to the SLF4J packages the
     *                            launcher exports from the system bundle
     * @throws StartFailure a setting is not valid (the launcher's usage error)
     */
    public static EmbeddedNode create(Path home, Map<String, String> flags, Map<String, String> frameworkProperties)
            throws StartFailure {
        Objects.requireNonNull(home, "home");
        List<String> args = new ArrayList<>();
        flags.forEach((flag, value) -> {
            args.add("--" + flag);
            args.add(value);
        });
        try {
            NodeSettings settings = NodeSettings.resolve(args, Map.of(), home.toAbsolutePath());
            return new EmbeddedNode(new Node(settings, Main.build(), frameworkProperties), settings.nodeId());
        } catch (UsageException e) {
            throw new StartFailure(e.getMessage(), e);
        }
    }

    /**
     * Starts the node and returns once it is ready; on failure everything it started is stopped again. Once only.
     *
     * @param readyTimeoutMillis how long to wait for the node to become ready (the launcher's
     *                           {@code chronik.startup.timeout.ms}, 60 s by default)
     * @throws StartFailure the node did not start (port in use, no quorum within the timeout, ...)
     */
    public void start(long readyTimeoutMillis) throws StartFailure {
        try {
            node.start(readyTimeoutMillis);
        } catch (StartupException e) {
            throw new StartFailure(e.getMessage(), e);
        }
    }

    /** This node's id ({@code --node-id}). */
    public int id() {
        return nodeId;
    }

    /** The node's framework: null until {@link #start} has created it, and after a failed start. */
    public Framework framework() {
        return node.framework();
    }

    /**
     * The system bundle's context of the node's framework (to look at its bundles, wiring and services), available
     * while {@link #start} is still waiting for the node to become ready; null before and when not running.
     */
    public BundleContext bundleContext() {
        Framework f = node.framework();
        return f == null ? null : f.getBundleContext();
    }

    /** Stops the node as Ctrl-C stops {@code bin/chronik start}: the framework stops cleanly (at most 30 s). */
    @Override
    public void close() {
        node.close();
    }
}
