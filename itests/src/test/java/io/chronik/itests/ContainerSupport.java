package io.chronik.itests;

import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.composite;
import static org.ops4j.pax.exam.CoreOptions.systemPackages;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

import javax.inject.Inject;

import org.apache.kafka.clients.producer.KafkaProducer;

import org.ops4j.pax.exam.Option;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

/**
 * What every container test shares: a Felix framework with exactly the bundles the distribution ships
 * ({@code distribution/target/chronik/bundle}, installed from their files), configured by the distribution's own
 * {@code conf/config} files through FileInstall, as {@code bin/chronik start} does.
 */
public abstract class ContainerSupport {

    @Inject
    protected BundleContext context;

    static Path distribution() {
        return Path.of(System.getProperty("chronik.dir", "../distribution/target/chronik")).toAbsolutePath().normalize();
    }

    static List<Path> shippedBundles() {
        try (Stream<Path> files = Files.list(distribution().resolve("bundle"))) {
            List<Path> jars = files.filter(p -> p.toString().endsWith(".jar")).sorted().toList();
            if (jars.isEmpty()) {
                throw new IllegalStateException("no bundles in " + distribution() + "/bundle: build the distribution first");
            }
            return jars;
        } catch (IOException e) {
            throw new IllegalStateException("build the distribution first (mvn install): " + e, e);
        }
    }

    /** The ports {@link #freePort} handed out in this JVM. */
    private static final Set<Integer> GIVEN = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * A loopback port that was free just now and that this JVM has not handed out before: the kernel may give a
     * just-closed ephemeral port again, and two nodes of one test on the same port fail to start.
     */
    public static int freePort() {
        while (true) {
            try (ServerSocket s = new ServerSocket(0)) {
                if (GIVEN.add(s.getLocalPort())) {
                    return s.getLocalPort();
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** The distribution's framework setup, with a fresh data directory and a free metrics port. */
    protected static Option[] chronikOptions() {
        Path dataDir;
        try {
            dataDir = Files.createTempDirectory("chronik-itest");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        List<Option> options = new ArrayList<>();
        for (Path jar : shippedBundles()) {
            options.add(org.ops4j.pax.exam.CoreOptions.bundle(jar.toUri().toString()));
        }
        int kafkaPort = freePort();
        String slf4j = org.slf4j.LoggerFactory.class.getPackage().getImplementationVersion();
        return new Option[] {
                // SLF4J from the class path, as the launcher exports it; Pax Exam's own bundles import the 1.7
                // API, which the 2.0 classes also implement, so the packages are exported under both versions
                systemPackages("org.slf4j;version=" + slf4j, "org.slf4j.spi;version=" + slf4j,
                        "org.slf4j.event;version=" + slf4j, "org.slf4j.helpers;version=" + slf4j,
                        "org.slf4j;version=1.7.36", "org.slf4j.spi;version=1.7.36", "org.slf4j.helpers;version=1.7.36"),
                frameworkProperty("chronik.data.dir").value(dataDir.toString()),
                frameworkProperty("chronik.node.id").value("1"),
                frameworkProperty("chronik.kafka.addr").value("127.0.0.1:" + kafkaPort),
                frameworkProperty("chronik.advertised.addr").value("127.0.0.1:" + kafkaPort),
                frameworkProperty("chronik.raft.addr").value("127.0.0.1:" + freePort()),
                frameworkProperty("chronik.peers").value(""),
                frameworkProperty("chronik.transport").value("grpc"),
                frameworkProperty("chronik.flush.policy").value("os"),
                // the launcher fills in every setting of conf/config/*.cfg; the container gives the defaults
                frameworkProperty("chronik.rack").value(""),
                frameworkProperty("chronik.session.timeout.ms").value("9000"),
                frameworkProperty("chronik.fetch.from.followers").value("true"),
                frameworkProperty("chronik.fetch.follower.max.wait.ms").value("5000"),
                frameworkProperty("chronik.auto.leader.rebalance.enable").value("true"),
                frameworkProperty("chronik.leader.imbalance.check.interval.seconds").value("300"),
                frameworkProperty("chronik.metrics.addr").value("127.0.0.1:" + freePort()),
                frameworkProperty("chronik.object.store").value("local"),
                frameworkProperty("chronik.snapshot.enabled").value("true"),
                frameworkProperty("chronik.snapshot.log.threshold").value("10000"),
                frameworkProperty("chronik.snapshot.time.threshold.secs").value("3600"),
                frameworkProperty("chronik.snapshot.max.concurrent").value("2"),
                frameworkProperty("chronik.snapshot.compression").value("gzip"),
                frameworkProperty("chronik.snapshot.retention.count").value("3"),
                frameworkProperty("felix.fileinstall.dir").value(distribution().resolve("conf/config").toString()),
                frameworkProperty("felix.fileinstall.noInitialDelay").value("true"),
                frameworkProperty("felix.fileinstall.enableConfigSave").value("false"),
                frameworkProperty("felix.fileinstall.poll").value("500"),
                frameworkProperty("felix.fileinstall.log.level").value("2"),
                frameworkProperty("ds.loglevel").value("warn"),
                junitBundles(),
                composite(options.toArray(new Option[0]))};
    }

    /** Every package of the kafka-clients jar on the test class path, exported by the system bundle. */
    protected static String[] kafkaClientsPackages() {
        try (JarFile jar = new JarFile(Path.of(KafkaProducer.class.getProtectionDomain().getCodeSource().getLocation()
                .toURI()).toFile())) {
            String version = KafkaProducer.class.getPackage().getImplementationVersion();
            Set<String> packages = new TreeSet<>();
            jar.stream().map(e -> e.getName())
                    .filter(n -> n.startsWith("org/apache/kafka/") && n.endsWith(".class"))
                    .forEach(n -> packages.add(n.substring(0, n.lastIndexOf('/')).replace('/', '.')));
            return packages.stream().map(p -> version == null ? p : p + ";version=" + osgiVersion(version))
                    .toArray(String[]::new);
        } catch (Exception e) {
            throw new IllegalStateException("kafka-clients is not a jar on the test class path: " + e, e);
        }
    }

    private static String osgiVersion(String v) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)\\.(\\d+)\\.(\\d+).*").matcher(v);
        return m.matches() ? m.group(1) + "." + m.group(2) + "." + m.group(3) : "0.0.0";
    }

    /** Test code that throws anything. */
    @FunctionalInterface
    protected interface Action {
        void run() throws Exception;
    }

    /**
     * Runs {@code action} with the thread context class loader set to kafka-clients' (exported by the system bundle,
     * see {@link #kafkaClientsPackages}): kafka-clients loads classes by name (metric reporters, ...) through it.
     */
    protected static void withKafkaClientsLoader(Action action) throws Exception {
        ClassLoader contextLoader = Thread.currentThread().getContextClassLoader();
        Thread.currentThread().setContextClassLoader(KafkaProducer.class.getClassLoader());
        try {
            action.run();
        } finally {
            Thread.currentThread().setContextClassLoader(contextLoader);
        }
    }

    protected Path dataDir() {
        return Path.of(context.getProperty("chronik.data.dir"));
    }

    protected Bundle bundle(String symbolicName) {
        for (Bundle b : context.getBundles()) {
            if (symbolicName.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError("no bundle " + symbolicName);
    }

    /** Polls {@code condition} until it returns true (exceptions count as false) or 15 s pass. */
    protected static void await(String what, Callable<Boolean> condition) throws InterruptedException {
        Await.until(what, 15_000, 50, condition, () -> "");
    }
}
