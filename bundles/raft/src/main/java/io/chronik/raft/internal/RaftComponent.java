package io.chronik.raft.internal;

import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.archive.Archive;
import io.chronik.api.consensus.ClusterMetadata;
import io.chronik.api.consensus.ConsensusException;
import io.chronik.api.consensus.PartitionLogs;
import io.chronik.api.metrics.MetricSource;
import io.chronik.ratis.rpc.RaftTransport;

/**
 * The Ratis consensus provider (configuration PID {@code io.chronik.raft}, required).
 *
 * <p>Runs one {@link ChronikNode}: a Ratis server with the metadata group and this node's data groups. Once the
 * metadata group has a leader, this node is registered and its metadata is loaded, it registers
 * {@link ClusterMetadata} and {@link PartitionLogs} (service property {@code node.id}); they are unregistered
 * before the node stops. It also registers the launcher's admin command {@code add-voter <node-id>} (a
 * {@code java.util.function.Function<String, String>} with {@code chronik.admin.command=add-voter}, see
 * docs/cluster.md "Growing the cluster"), which promotes a listener of the metadata group to a voter, and
 * {@code decommission <node-id>} and {@code decommission-status <node-id>} (docs/cluster.md "Removing a node"), which
 * start a {@link Decommissioner} run and report its progress. With them it registers the node's metrics,
 * {@link MetricSource}s ({@link ReadIndexMetrics}, {@link SnapshotMetrics}, and {@link SnapshotArchiveMetrics} when
 * snapshots are archived); the node's {@link RaftMetrics} are registered as soon as its server runs, until it stops.
 * The transports' traffic ({@link TransportMetrics}) is registered from activation to deactivation, one object over
 * the node's restarts, so that a node that cannot elect a leader still shows its votes.
 *
 * <p><b>Snapshot archive</b> ({@code snapshot.*}, {@link SnapshotSettings}): with {@code snapshot.enabled} the node
 * archives the snapshots of the groups it leads through the {@link Archive} service (optional, dynamic, greedy: read
 * at each upload or fetch, so a rebind needs no restart) and a node without a group's data fetches its newest archived
 * snapshot ({@link ObjectSnapshotArchiver}).
 *
 * <p>The Raft transport is the {@link RaftTransport} matching {@code transport.target} (default
 * {@code (transport.name=grpc)}), bound dynamically and greedily: losing it stops the node (the component is
 * deactivated when no transport is left) and a new or better one restarts it on the same storage.
 *
 * <p><b>Flush policy</b> ({@code flush.policy}): {@code raft} (default) fsyncs the Raft log before an entry counts
 * as written, so an acknowledged produce survives power loss of the cluster; {@code os} only writes it to the OS
 * before commit and fsyncs asynchronously, like Kafka's default: an acknowledged produce survives a crash or
 * kill -9 of the broker, not a power loss. In both cases the partition segment files are fsynced at checkpoints
 * (Raft snapshots, every {@code snapshot.log.threshold} entries, at least every {@code snapshot.time.threshold.secs}
 * for a group that applied entries, and at shutdown), and after a crash each log is
 * truncated to its checkpoint and rebuilt from the Raft log.
 *
 * <p><b>Leadership balance</b> ({@code auto.leader.rebalance.enable}, {@code leader.imbalance.check.interval.seconds},
 * {@code leader.imbalance.per.broker.percentage}, Kafka's names and defaults): the metadata leader moves the
 * leadership of data groups back to their preferred replicas ({@link LeaderBalancer}, {@link PreferredLeaders}).
 * <p><b>Broker sessions</b> ({@code session.timeout.ms}, default 9000 as KRaft's): the node heartbeats to the
 * metadata leader every quarter of it; a broker silent for longer is fenced, and unfenced once it is back and has
 * caught up ({@link Liveness}).
 */
@Component(configurationPid = "io.chronik.raft", configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true,
        service = {})
@Designate(ocd = RaftConfig.class)
public class RaftComponent {
    private static final Logger LOG = LoggerFactory.getLogger(RaftComponent.class);

    private final BundleContext context;
    private final NodeSettings settings;
    /** Starts and stops nodes one after the other, off the SCR thread. */
    private final ExecutorService lifecycle = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "chronik-raft-lifecycle");
        t.setDaemon(true);
        return t;
    });
    private volatile RaftTransport transport;
    private final SnapshotSettings snapshotSettings;
    /** The archive snapshots go to (optional; swapped in place, see {@link #bindArchive}). */
    private volatile Archive archive;
    private ServiceRegistration<?> archiveMetricsRegistration;
    /** The transports' traffic, kept over node restarts and registered while the component is active. */
    private final TransportMetrics transportMetrics;
    private final ServiceRegistration<?> transportMetricsRegistration;
    private ObjectSnapshotArchiver archiver;
    // the fields below are used only on the lifecycle thread
    private ChronikNode node;
    private ServiceRegistration<?> metadataRegistration;
    private ServiceRegistration<?> logsRegistration;
    private ServiceRegistration<?> addVoterRegistration;
    private ServiceRegistration<?> decommissionRegistration;
    private ServiceRegistration<?> decommissionStatusRegistration;
    private ServiceRegistration<?> decommissionCancelRegistration;
    private ServiceRegistration<?> metricsRegistration;
    private ServiceRegistration<?> snapshotMetricsRegistration;
    private ServiceRegistration<?> raftMetricsRegistration;

    @Activate
    public RaftComponent(BundleContext context, RaftConfig config) {
        this.context = context;
        this.settings = NodeSettings.from(config);
        this.snapshotSettings = SnapshotSettings.from(config);
        if (config.snapshot_threshold_entries() >= 0 && config.snapshot_log_threshold() >= 0
                && config.snapshot_threshold_entries() != config.snapshot_log_threshold()) {
            LOG.warn("snapshot.threshold.entries={} is ignored: it is the former name of snapshot.log.threshold, which is "
                    + "set to {} (--snapshot-log-threshold)", config.snapshot_threshold_entries(),
                    config.snapshot_log_threshold());
        }
        this.transportMetrics = new TransportMetrics(settings.nodeId());
        Dictionary<String, Object> metricProps = new Hashtable<>();
        metricProps.put("node.id", settings.nodeId());
        metricProps.put("consensus.impl", "ratis");
        this.transportMetricsRegistration = context.registerService(MetricSource.class, transportMetrics, metricProps);
        LOG.info("Raft provider for node {} configured: raft {} advertised {} data {}", settings.nodeId(),
                settings.raftAddr(), settings.advertisedAddr(), settings.dataDir().toAbsolutePath());
        RaftTransport t = transport;
        if (t != null) {
            lifecycle.execute(() -> restart(t));
        }
    }

    @Reference(name = "transport", cardinality = ReferenceCardinality.MANDATORY, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindTransport(RaftTransport t) {
        RaftTransport previous = transport;
        transport = t;
        if (settings != null && previous != t) { // settings == null: called before the constructor finished
            lifecycle.execute(() -> restart(t));
        }
    }

    /**
     * The archive: optional, dynamic and greedy; the node reads it through a supplier at each upload or fetch, so a
     * rebind needs no restart, and while none is bound uploads wait (retried with backoff) and fetches find nothing.
     */
    @Reference(name = "archive", cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindArchive(Archive a) {
        archive = a;
    }

    void unbindArchive(Archive a) {
        if (archive == a) {
            archive = null;
        }
    }

    void unbindTransport(RaftTransport t) {
        if (transport == t) {
            transport = null;
            lifecycle.execute(() -> {
                if (transport == null) {
                    stopNode();
                }
            });
        }
    }

    @Deactivate
    void deactivate() {
        transport = null;
        lifecycle.execute(this::stopNode);
        lifecycle.shutdown();
        try {
            // longer than the node's own bound on closing its Raft server (two minutes): a new activation (a transport
            // swap by configuration or bundle update) must not start a server while the old one still holds its port
            if (!lifecycle.awaitTermination(150, TimeUnit.SECONDS)) {
                LOG.warn("the Raft node did not stop within 150 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            transportMetricsRegistration.unregister();
        } catch (IllegalStateException e) {
            // already gone with the bundle
        }
    }

    private void restart(RaftTransport t) {
        if (transport != t) {
            return; // replaced again meanwhile
        }
        stopNode();
        ChronikNode n = new ChronikNode(settings, t);
        try {
            n.transportMetrics(transportMetrics);
            n.snapshotSettings(snapshotSettings);
            archiver = n.archiveSnapshots(() -> archive);
            n.start();
        } catch (Exception e) {
            LOG.error("starting the Raft node {} with transport '{}' failed", settings.nodeId(), t.name(), e);
            n.stop();
            return;
        }
        node = n;
        // at once, not once ready: a node that cannot elect a leader shows its terms, votes and elections
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("node.id", settings.nodeId());
        props.put("consensus.impl", "ratis");
        raftMetricsRegistration = context.registerService(MetricSource.class, n.raftMetrics(), props);
        LOG.info("node {}: Raft server on transport '{}' of {}", settings.nodeId(), t.name(), describe(t));
        n.ready().thenRun(() -> lifecycle.execute(() -> register(n)));
    }

    private void register(ChronikNode n) {
        if (node != n || n.isStopping()) {
            return;
        }
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("node.id", settings.nodeId());
        props.put("consensus.impl", "ratis");
        metadataRegistration = context.registerService(ClusterMetadata.class, n.metadata(), props);
        logsRegistration = context.registerService(PartitionLogs.class, n.replicas(), props);
        Dictionary<String, Object> command = new Hashtable<>(Map.of("chronik.admin.command", "add-voter"));
        addVoterRegistration = context.registerService(Function.class, (Function<String, String>) arg -> addVoter(n, arg),
                command);
        decommissionRegistration = adminCommand("decommission", arg -> decommission(n, arg, true));
        decommissionStatusRegistration = adminCommand("decommission-status", arg -> decommission(n, arg, false));
        decommissionCancelRegistration = adminCommand("decommission-cancel", arg -> cancelDecommission(n, arg));
        metricsRegistration = context.registerService(MetricSource.class, n.readIndexMetrics(), props);
        snapshotMetricsRegistration = context.registerService(MetricSource.class, n.snapshotMetrics(), props);
        if (archiver != null) {
            archiveMetricsRegistration = context.registerService(MetricSource.class, archiver.metrics(), props);
        }
        LOG.info("node {} ready: ClusterMetadata, PartitionLogs and metrics registered", settings.nodeId());
    }

    private ServiceRegistration<?> adminCommand(String name, Function<String, String> command) {
        return context.registerService(Function.class, command, new Hashtable<>(Map.of("chronik.admin.command", name)));
    }

    /**
     * The admin commands {@code decommission <node-id>} ({@code start}: starts it or reports its progress; blocks for
     * its first step) and {@code decommission-status <node-id>} (only reports; never blocks); see also
     * {@code decommission-cancel <node-id>}.
     */
    private static String decommission(ChronikNode n, String argument, boolean start) {
        int nodeId;
        try {
            nodeId = Integer.parseInt(argument.trim());
        } catch (NumberFormatException e) {
            return "error: decommission needs a node id, got '" + argument + "'";
        }
        return start ? n.decommissioner().decommission(nodeId) : n.decommissioner().status(nodeId);
    }

    /** The admin command {@code decommission-cancel <node-id>} (blocks until the mark is gone). */
    private static String cancelDecommission(ChronikNode n, String argument) {
        try {
            return n.decommissioner().cancel(Integer.parseInt(argument.trim()));
        } catch (NumberFormatException e) {
            return "error: decommission-cancel needs a node id, got '" + argument + "'";
        }
    }

    /** The admin command {@code add-voter <node-id>}: "ok: ..." or "error: ..." (blocks until the change is done). */
    private static String addVoter(ChronikNode n, String argument) {
        int nodeId;
        try {
            nodeId = Integer.parseInt(argument.trim());
        } catch (NumberFormatException e) {
            return "error: add-voter needs a node id, got '" + argument + "'";
        }
        try {
            return "ok: " + n.addMetadataVoter(nodeId);
        } catch (ConsensusException e) {
            return "error: " + e.getMessage();
        }
    }

    private void stopNode() {
        ChronikNode n = node;
        if (n != null) {
            RaftTransport bound = transport;
            LOG.info("node {}: stopping the Raft server (transport bound now: {})", settings.nodeId(),
                    bound == null ? "none" : "'" + bound.name() + "' of " + describe(bound));
        }
        unregister();
        node = null;
        archiver = null;
        if (n != null) {
            n.stop();
        }
    }

    /**
     * The bundle a transport comes from, with its revision's time (changed by every update of the bundle), so that the
     * log shows which revision a Raft server runs on (docs/transport-swap.md).
     */
    private static String describe(RaftTransport t) {
        try {
            org.osgi.framework.Bundle b = org.osgi.framework.FrameworkUtil.getBundle(t.getClass());
            if (b == null) {
                return "no bundle";
            }
            return "bundle " + b.getSymbolicName() + " " + b.getVersion() + " [" + b.getBundleId() + "] of "
                    + java.time.Instant.ofEpochMilli(b.getLastModified());
        } catch (RuntimeException e) { // only for a log line
            return "an unknown bundle (" + e + ")";
        }
    }

    private void unregister() {
        for (ServiceRegistration<?> r : new ServiceRegistration<?>[] {metadataRegistration, logsRegistration,
                addVoterRegistration, decommissionRegistration, decommissionStatusRegistration,
                decommissionCancelRegistration, metricsRegistration, snapshotMetricsRegistration,
                archiveMetricsRegistration, raftMetricsRegistration}) {
            if (r != null) {
                try {
                    r.unregister();
                } catch (IllegalStateException e) {
                    // already gone with the bundle
                }
            }
        }
        metadataRegistration = null;
        logsRegistration = null;
        addVoterRegistration = null;
        decommissionRegistration = null;
        decommissionStatusRegistration = null;
        decommissionCancelRegistration = null;
        metricsRegistration = null;
        snapshotMetricsRegistration = null;
        archiveMetricsRegistration = null;
        raftMetricsRegistration = null;
    }
}
