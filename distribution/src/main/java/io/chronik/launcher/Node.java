package io.chronik.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.stream.Stream;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.net.HostPort;
import io.chronik.api.store.ObjectStore;
import io.chronik.api.store.ObjectStoreStatus;

/**
 * One Chronik node: checks its environment, starts Felix with the bundles of {@code bundle/}, waits until every
 * bundle is active and every component satisfied, and stops the framework when asked.
 */
final class Node implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Node.class);

    private final NodeSettings settings;
    private final Map<String, String> build;
    private final Map<String, String> extraFrameworkProperties;
    private volatile Framework framework;
    private FileChannel lockChannel;
    private FileLock lock;
    private AdminSocket admin;

    Node(NodeSettings settings, Map<String, String> build) {
        this(settings, build, Map.of());
    }

    /**
     * A node whose framework gets {@code extraFrameworkProperties} on top of the launcher's own (an in-JVM cluster's
     * harness, {@link EmbeddedNode}); {@link Constants#FRAMEWORK_SYSTEMPACKAGES_EXTRA} is added to the SLF4J packages
     * the system bundle exports rather than replacing them.
     */
    Node(NodeSettings settings, Map<String, String> build, Map<String, String> extraFrameworkProperties) {
        this.settings = settings;
        this.build = build;
        this.extraFrameworkProperties = Map.copyOf(extraFrameworkProperties);
    }

    /** Starts the node and returns once it is healthy; on failure everything started is stopped again. */
    void start(long readyTimeoutMillis) throws StartupException {
        long t0 = System.nanoTime();
        Path dataDir = settings.dataDir();
        prepareDataDir(dataDir);
        checkPorts();
        try {
            framework = newFramework(dataDir);
            framework.start();
            installBundles();
            admin = new AdminSocket(dataDir, () -> NodeStatus.of(framework.getBundleContext()),
                    line -> AdminCommands.run(framework.getBundleContext(), line));
            awaitObjectStore(readyTimeoutMillis);
            awaitHealthy(readyTimeoutMillis);
            awaitKafkaListener(readyTimeoutMillis);
        } catch (StartupException e) {
            close();
            throw e;
        } catch (BundleException | IOException | RuntimeException e) {
            close();
            throw new StartupException("cannot start the OSGi framework: " + e.getMessage(), e);
        }
        NodeStatus status = NodeStatus.of(framework.getBundleContext());
        LOG.info("Chronik {} node {} started in {} ms: {} bundles active, {} components satisfied; metrics on {}, data in {}",
                build.get("version"), settings.get(Setting.NODE_ID), (System.nanoTime() - t0) / 1_000_000,
                status.bundles.size(), status.components.size(), settings.get(Setting.METRICS_ADDR), dataDir);
    }

    private void prepareDataDir(Path dataDir) throws StartupException {
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new StartupException("data directory " + dataDir + " cannot be created: " + describe(e));
        }
        if (!Files.isDirectory(dataDir)) {
            throw new StartupException("data directory " + dataDir + " is not a directory");
        }
        Path probe = dataDir.resolve(".write-test");
        try {
            Files.write(probe, new byte[] {1});
            Files.delete(probe);
        } catch (IOException e) {
            throw new StartupException("data directory " + dataDir + " is not writable: " + describe(e));
        }
        try {
            lockChannel = FileChannel.open(dataDir.resolve("node.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            lock = lockChannel.tryLock();
        } catch (IOException e) {
            throw new StartupException("cannot lock data directory " + dataDir + ": " + describe(e));
        }
        if (lock == null) {
            throw new StartupException("data directory " + dataDir + " is in use by another Chronik process");
        }
    }

    private static String describe(IOException e) {
        String type = e.getClass().getSimpleName().replace("Exception", "");
        return e.getMessage() == null ? type : type + " " + e.getMessage();
    }

    /** Every listener address must be free now: a clear message beats a component failing later. */
    private void checkPorts() throws StartupException {
        Map<String, Setting> seen = new HashMap<>();
        List<Setting> listeners = settings.raftSocket() ? List.of(Setting.KAFKA_ADDR, Setting.RAFT_ADDR, Setting.METRICS_ADDR)
                : List.of(Setting.KAFKA_ADDR, Setting.METRICS_ADDR); // the memory transport binds no socket
        for (Setting s : listeners) {
            HostPort address;
            try {
                address = settings.address(s);
            } catch (UsageException e) {
                throw new StartupException(e.getMessage());
            }
            Setting clash = seen.put(String.valueOf(address.port()), s);
            if (clash != null) {
                throw new StartupException("--" + s.flag() + " and --" + clash.flag() + " both use port " + address.port());
            }
            try (ServerSocket socket = new ServerSocket()) {
                socket.setReuseAddress(true);
                socket.bind(new InetSocketAddress(address.host(), address.port()));
            } catch (IOException e) {
                throw new StartupException("cannot listen on " + address + " (--" + s.flag() + "): " + e.getMessage());
            }
        }
    }

    private Framework newFramework(Path dataDir) {
        Path home = settings.home();
        Map<String, String> props = new HashMap<>(settings.frameworkProperties());
        props.put(Constants.FRAMEWORK_STORAGE, dataDir.resolve("osgi-cache").toString());
        // bundles come from bundle/ on every start; configuration comes from conf/config on every start
        props.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        // one logging implementation for every bundle: SLF4J from the launcher's class path
        String slf4j = build.get("slf4j.version");
        props.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, String.join(",",
                "org.slf4j;version=" + slf4j, "org.slf4j.spi;version=" + slf4j,
                "org.slf4j.event;version=" + slf4j, "org.slf4j.helpers;version=" + slf4j));
        props.put("felix.log.level", "1");
        props.put("ds.loglevel", "warn");
        props.put("felix.fileinstall.dir", home.resolve("conf").resolve("config") + "," + home.resolve("deploy"));
        props.put("felix.fileinstall.poll", "1000");
        props.put("felix.fileinstall.noInitialDelay", "true");
        props.put("felix.fileinstall.enableConfigSave", "false");
        props.put("felix.fileinstall.log.level", "2");
        props.put("felix.fileinstall.tmpdir", dataDir.resolve("tmp").toString());
        props.put("chronik.version", build.get("version"));
        extraFrameworkProperties.forEach((key, value) -> props.merge(key, value,
                (mine, extra) -> key.equals(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA) ? mine + "," + extra : extra));
        FrameworkFactory factory = ServiceLoader.load(FrameworkFactory.class).findFirst()
                .orElseThrow(() -> new IllegalStateException("no OSGi framework on the class path"));
        return factory.newFramework(props);
    }

    private void installBundles() throws StartupException, BundleException {
        Path dir = settings.home().resolve("bundle");
        List<Path> jars;
        try (Stream<Path> files = Files.list(dir)) {
            jars = files.filter(p -> p.toString().endsWith(".jar")).sorted().toList();
        } catch (IOException e) {
            throw new StartupException("cannot read the bundle directory " + dir + ": " + e.getMessage());
        }
        List<Bundle> installed = new ArrayList<>();
        for (Path jar : jars) {
            installed.add(framework.getBundleContext().installBundle(jar.toUri().toString()));
        }
        for (Bundle b : installed) {
            if (b.getHeaders().get(Constants.FRAGMENT_HOST) == null) {
                try {
                    b.start();
                } catch (BundleException e) {
                    throw new StartupException("bundle " + b.getSymbolicName() + " cannot start: " + e.getMessage(), e);
                }
            }
        }
    }

    /**
     * The node must not run without the object store {@code --object-store} names: waits until an
     * {@link ObjectStore} service with that {@code store.name} is registered. A provider that cannot reach its store
     * says so in the service properties of its {@link ObjectStoreStatus} (see there); that problem, or no store
     * within the timeout, is a startup error of one line. Only service properties are read, so the launcher shares
     * no classes with the bundles (the constants are compiled in).
     */
    private void awaitObjectStore(long timeoutMillis) throws StartupException {
        String name = settings.get(Setting.OBJECT_STORE);
        String filter = "(" + ObjectStore.STORE_NAME + "=" + name + ")";
        String flag = "--" + Setting.OBJECT_STORE.flag() + " " + name;
        long deadline = System.currentTimeMillis() + timeoutMillis;
        String state = null;
        try {
            while (framework.getBundleContext().getAllServiceReferences(ObjectStore.class.getName(), filter) == null) {
                ServiceReference<?>[] statuses = framework.getBundleContext()
                        .getAllServiceReferences(ObjectStoreStatus.class.getName(), filter);
                state = null;
                for (ServiceReference<?> status : statuses == null ? new ServiceReference<?>[0] : statuses) {
                    state = String.valueOf(status.getProperty(ObjectStoreStatus.STATE));
                    if (ObjectStoreStatus.UNAVAILABLE.equals(state)) {
                        throw new StartupException(flag + ": " + status.getProperty(ObjectStoreStatus.PROBLEM));
                    }
                }
                if (System.currentTimeMillis() > deadline) {
                    throw new StartupException(flag + ": the object store '" + name + "' was not registered within "
                            + timeoutMillis / 1000 + " s" + (state == null
                            ? " (no provider reports it: check its configuration in conf/config)"
                            : " (its provider reports it as " + state + ")"));
                }
                Thread.sleep(50);
            }
        } catch (InvalidSyntaxException e) {
            throw new StartupException(flag + ": not a valid store name: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StartupException("interrupted while starting");
        }
    }

    private void awaitHealthy(long timeoutMillis) throws StartupException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        NodeStatus status;
        while (!(status = NodeStatus.of(framework.getBundleContext())).healthy()) {
            if (System.currentTimeMillis() > deadline) {
                throw new StartupException(String.join("; ", status.problems));
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StartupException("interrupted while starting");
            }
        }
    }

    /**
     * A node is up for its users when Kafka clients can connect. The listener belongs to the Kafka protocol bundle,
     * which starts once the consensus provider is ready; wait for it if that bundle is installed.
     */
    private void awaitKafkaListener(long timeoutMillis) throws StartupException {
        boolean protocolInstalled = false;
        for (Bundle b : framework.getBundleContext().getBundles()) {
            protocolInstalled |= "io.chronik.protocol.kafka".equals(b.getSymbolicName());
        }
        if (!protocolInstalled) {
            return;
        }
        HostPort kafka;
        try {
            kafka = settings.address(Setting.KAFKA_ADDR);
        } catch (UsageException e) {
            throw new StartupException(e.getMessage());
        }
        String host = kafka.host().equals("0.0.0.0") || kafka.host().equals("::") ? "127.0.0.1" : kafka.host();
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (true) {
            try (java.net.Socket probe = new java.net.Socket()) {
                probe.connect(new InetSocketAddress(host, kafka.port()), 1000);
                return;
            } catch (IOException e) {
                if (System.currentTimeMillis() > deadline) {
                    throw new StartupException("the Kafka listener on " + kafka + " did not open: "
                            + String.join("; ", NodeStatus.of(framework.getBundleContext()).problems));
                }
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StartupException("interrupted while starting");
            }
        }
    }

    /** The running framework, or null before {@link #start} and after a failed start. */
    Framework framework() {
        return framework;
    }

    /** Blocks until the framework has stopped (by {@link #close} or from inside). */
    void awaitStop() throws InterruptedException {
        FrameworkEvent event = framework.waitForStop(0);
        LOG.debug("framework stopped: {}", event.getType());
    }

    @Override
    public void close() {
        try {
            if (admin != null) {
                admin.close();
            }
        } catch (IOException e) {
            LOG.warn("cannot remove the admin socket: {}", e.toString());
        }
        if (framework != null && (framework.getState() & (Bundle.ACTIVE | Bundle.STARTING)) != 0) {
            try {
                framework.stop();
                framework.waitForStop(30_000);
                LOG.info("Chronik node {} stopped", settings.get(Setting.NODE_ID));
            } catch (BundleException | InterruptedException e) {
                LOG.warn("framework did not stop cleanly: {}", e.toString());
            }
        }
        try {
            if (lock != null) {
                lock.release();
            }
            if (lockChannel != null) {
                lockChannel.close();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
