package io.chronik.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.stream.Stream;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;

/**
 * A Felix framework started inside a test's JVM, for bundle-level tests: install the built bundle and the bundles it
 * needs, start them, configure components and wait for their services.
 *
 * <p>The framework's system bundle exports the JDK, the OSGi framework API and whatever {@link Builder#systemPackages}
 * adds (as the distribution's launcher exports SLF4J). Everything else comes from installed bundles. The test's own
 * class path is not the framework's: a service registered by a bundle is usually not an instance of the test's copy of
 * its interface, so {@link #awaitService} and {@link #configure} work by class name and reflection.
 *
 * <p>Each instance owns a fresh temporary directory ({@link #storage()}): the framework cache lives in its
 * {@code felix-cache} child, the rest is the test's to use (data directories). {@link #close()} stops the framework,
 * waits for it and deletes the directory.
 *
 * <p>Not thread-safe: one test thread drives it. Methods block at most for the timeouts they are given.
 */
public final class EmbeddedFelix implements AutoCloseable {
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
    private static final long POLL_MILLIS = 50;

    private final Framework framework;
    private final Path storage;

    private EmbeddedFelix(Framework framework, Path storage) {
        this.framework = framework;
        this.storage = storage;
    }

    /** A builder for a framework with no extra system packages. */
    public static Builder builder() {
        return new Builder();
    }

    /** The temporary directory this framework owns; deleted by {@link #close()}. */
    public Path storage() {
        return storage;
    }

    /** The system bundle's context. */
    public BundleContext context() {
        return framework.getBundleContext();
    }

    /** Installs the bundle at {@code location} (a URL, or {@code reference:file:} for a directory) without starting it. */
    public Bundle install(String location) throws BundleException {
        return context().installBundle(location);
    }

    /** Installs the bundle jar at {@code jar} without starting it. */
    public Bundle install(Path jar) throws BundleException {
        return install(jar.toUri().toString());
    }

    /**
     * Installs all the jars, then starts them in the given order: installing first lets each resolve against all the
     * others. Throws the first {@link BundleException} of a bundle that does not resolve or whose activator fails.
     */
    public List<Bundle> installAndStart(List<Path> jars) throws BundleException {
        List<Bundle> bundles = new ArrayList<>();
        for (Path jar : jars) {
            bundles.add(install(jar));
        }
        for (Bundle bundle : bundles) {
            bundle.start();
        }
        return bundles;
    }

    /** The installed bundle with this symbolic name; {@link AssertionError} if there is none. */
    public Bundle bundle(String symbolicName) {
        for (Bundle bundle : context().getBundles()) {
            if (symbolicName.equals(bundle.getSymbolicName())) {
                return bundle;
            }
        }
        throw new AssertionError("no bundle " + symbolicName + " is installed");
    }

    /**
     * Waits until a service is registered under {@code className} by any bundle and returns the service object (an
     * instance of the registering bundle's class, not necessarily of the test's). Polls; {@link AssertionError} when
     * the timeout passes first.
     */
    public Object awaitService(String className, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            ServiceReference<?> ref = anyReference(className);
            if (ref != null) {
                Object service = context().getService(ref);
                if (service != null) {
                    return service;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(className + " was not registered within " + timeout);
            }
            Thread.sleep(POLL_MILLIS);
        }
    }

    /** Waits until no service is registered under {@code className}; {@link AssertionError} when the timeout passes. */
    public void awaitNoService(String className, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (anyReference(className) != null) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(className + " was still registered after " + timeout);
            }
            Thread.sleep(POLL_MILLIS);
        }
    }

    /**
     * Creates or updates the configuration {@code pid} through the installed ConfigurationAdmin (which must already be
     * registered), by reflection on its bundle's own {@code org.osgi.service.cm} classes. Returns once ConfigAdmin has
     * the new properties; components see them asynchronously.
     */
    public void configure(String pid, Map<String, ?> properties) throws Exception {
        String adminType = "org.osgi.service.cm.ConfigurationAdmin";
        ServiceReference<?> ref = anyReference(adminType);
        if (ref == null) {
            throw new AssertionError("ConfigurationAdmin is not registered");
        }
        Object admin = context().getService(ref);
        Bundle cm = ref.getBundle();
        Object configuration = cm.loadClass(adminType).getMethod("getConfiguration", String.class, String.class)
                .invoke(admin, pid, "?");
        Dictionary<String, Object> dictionary = new Hashtable<>(properties);
        cm.loadClass("org.osgi.service.cm.Configuration").getMethod("update", Dictionary.class)
                .invoke(configuration, dictionary);
    }

    /** Stops the framework, waits up to 30 s for it to stop, and deletes {@link #storage()}. */
    @Override
    public void close() throws Exception {
        try {
            framework.stop();
            framework.waitForStop(STOP_TIMEOUT.toMillis());
        } finally {
            deleteRecursively(storage);
        }
    }

    /**
     * The class path jar holding {@code resource} (e.g. {@code "org/apache/felix/scr/impl/Activator.class"}): how a
     * test installs a bundle that is one of its test dependencies. {@link AssertionError} if the resource is not in a
     * jar.
     */
    public static Path classPathJar(String resource) {
        URL url = EmbeddedFelix.class.getClassLoader().getResource(resource);
        if (url == null || !"jar".equals(url.getProtocol())) {
            throw new AssertionError(resource + " is not in a jar on the class path: " + url);
        }
        String s = url.toString(); // jar:file:/...jar!/resource
        return Path.of(URI.create(s.substring("jar:".length(), s.indexOf("!/"))));
    }

    private ServiceReference<?> anyReference(String className) {
        // all references, not only those assignable to the system bundle's class space
        try {
            ServiceReference<?>[] refs = context().getAllServiceReferences(className, null);
            return refs == null ? null : refs[0];
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }

    /** What the framework is started with. */
    public static final class Builder {
        private final List<String> systemPackages = new ArrayList<>();
        private final Map<String, String> properties = new HashMap<>();

        private Builder() {
        }

        /**
         * Adds packages the system bundle exports from the test's class path, as Export-Package clauses
         * ({@code "io.chronik.api.consensus;version=1.2.0"}).
         */
        public Builder systemPackages(String... clauses) {
            systemPackages.addAll(List.of(clauses));
            return this;
        }

        /**
         * Adds the packages of {@code types} to the system bundle's exports, each at the version its bundle exports it
         * (read from the manifest of the jar or bnd-built classes directory the type comes from): how a test stands in
         * for a provider bundle with objects of its own class path, without repeating the package's version.
         */
        public Builder systemPackagesOf(Class<?>... types) {
            for (Class<?> type : types) {
                systemPackages.add(type.getPackageName() + ";version=" + ExportedVersion.of(type));
            }
            return this;
        }

        /**
         * Exports SLF4J's API packages at {@code version} from the system bundle, as the distribution's launcher does;
         * the test class path must hold slf4j-api (and a binding, to see the logs).
         */
        public Builder slf4j(String version) {
            for (String p : List.of("org.slf4j", "org.slf4j.spi", "org.slf4j.event", "org.slf4j.helpers")) {
                systemPackages.add(p + ";version=" + version);
            }
            return this;
        }

        /** Sets a framework property (also visible to bundles through {@code BundleContext.getProperty}). */
        public Builder property(String key, String value) {
            properties.put(key, value);
            return this;
        }

        /** Creates the temporary storage directory and starts the framework; blocks until it is started. */
        public EmbeddedFelix start() throws IOException, BundleException {
            Path storage = Files.createTempDirectory("felix");
            Map<String, String> config = new HashMap<>(properties);
            config.put(Constants.FRAMEWORK_STORAGE, storage.resolve("felix-cache").toString());
            config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
            if (!systemPackages.isEmpty()) {
                config.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, String.join(",", systemPackages));
            }
            FrameworkFactory factory = ServiceLoader.load(FrameworkFactory.class, EmbeddedFelix.class.getClassLoader())
                    .iterator().next();
            Framework framework = factory.newFramework(config);
            try {
                framework.start();
            } catch (BundleException | RuntimeException e) {
                deleteRecursively(storage);
                throw e;
            }
            return new EmbeddedFelix(framework, storage);
        }
    }
}
