package io.chronik.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Dictionary;
import java.util.Hashtable;

import javax.inject.Inject;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

import io.chronik.api.archive.Archive;
import io.chronik.api.archive.ArchiveUnavailableException;
import io.chronik.api.compression.CompressionCodec;

/**
 * Hot swapping providers under a running consumer (the archive component, which uses a codec and an object
 * store): the consumer is never restarted — its service registration and its component configuration stay the
 * same — while providers go away, come back, or are switched by configuration.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class HotSwapIT extends ContainerSupport {

    private static final String ARCHIVE_COMPONENT = "io.chronik.archive.internal.ObjectArchive";

    @Inject
    private ServiceComponentRuntime scr;

    @Inject
    private ConfigurationAdmin configAdmin;

    @Inject
    private Archive archive;

    @Configuration
    public Option[] config() {
        return chronikOptions();
    }

    private long archiveComponentId() {
        ComponentDescriptionDTO d = scr.getComponentDescriptionDTO(bundle("io.chronik.archive"), ARCHIVE_COMPONENT);
        ComponentConfigurationDTO c = scr.getComponentConfigurationDTOs(d).iterator().next();
        assertEquals(ComponentConfigurationDTO.ACTIVE, c.state);
        return c.id;
    }

    private ServiceReference<Archive> archiveRef() {
        return context.getServiceReference(Archive.class);
    }

    private static byte[] read(Archive archive, String key) throws Exception {
        try (InputStream in = archive.read(key)) {
            return in.readAllBytes();
        }
    }

    @Test
    public void stoppingTheCompressionBundleUnbindsCodecsAndStartingItRebindsThemWithoutRestartingTheConsumer() throws Exception {
        await("the archive writes to the local store", () -> "local".equals(archive.activeStore()));
        String codec = archive.activeCodec(); // conf/config/io.chronik.archive.cfg: --snapshot-compression, gzip
        byte[] data = "snapshot bytes ".repeat(1000).getBytes(StandardCharsets.UTF_8);
        archive.write("hotswap/before", new ByteArrayInputStream(data));
        long componentId = archiveComponentId();
        Object serviceId = archiveRef().getProperty("service.id");

        Bundle compression = bundle("io.chronik.compression");
        compression.stop();
        try {
            assertTrue(context.getServiceReferences(CompressionCodec.class, null).isEmpty());
            ArchiveUnavailableException e = assertThrows(ArchiveUnavailableException.class,
                    () -> archive.write("hotswap/during", new ByteArrayInputStream(data)));
            assertTrue(e.getMessage(), e.getMessage().contains("'" + codec + "'"));
            assertThrows(ArchiveUnavailableException.class, () -> read(archive, "hotswap/before"));
            // the consumer stayed up: same registration, same component configuration, same object
            assertEquals(serviceId, archiveRef().getProperty("service.id"));
            assertEquals(componentId, archiveComponentId());
        } finally {
            compression.start();
        }

        await("the codecs are bound again", () -> {
            archive.write("hotswap/after", new ByteArrayInputStream(data));
            return true;
        });
        assertArrayEquals(data, read(archive, "hotswap/before"));
        assertArrayEquals(data, read(archive, "hotswap/after"));
        assertEquals(serviceId, archiveRef().getProperty("service.id"));
        assertEquals(componentId, archiveComponentId());
        assertSame(archive, context.getService(archiveRef()));
    }

    @Test
    public void aTargetFilterFromConfigurationChoosesTheStoreAndAChangeMovesTheConsumer() throws Exception {
        Path rootA = dataDir().resolve("store-a");
        Path rootB = dataDir().resolve("store-b");
        storeConfig("a", rootA);
        storeConfig("b", rootB);
        await("stores a and b are registered", () -> context.getServiceReferences(
                io.chronik.api.store.ObjectStore.class, "(|(store.name=a)(store.name=b))").size() == 2);
        long componentId = archiveComponentId();
        Object serviceId = archiveRef().getProperty("service.id");
        org.osgi.service.cm.Configuration archiveConfig = configAdmin.getConfiguration("io.chronik.archive", "?");
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("codec", "gzip");
        try {
            props.put("store.target", "(store.name=a)");
            archiveConfig.update(props);
            await("the archive uses store a", () -> "a".equals(archive.activeStore()) && "gzip".equals(archive.activeCodec()));
            archive.write("moves/one", new ByteArrayInputStream("one".getBytes()));
            assertTrue(Files.isRegularFile(rootA.resolve("moves/one")));
            assertFalse(Files.exists(rootB.resolve("moves/one")));

            props.put("store.target", "(store.name=b)");
            archiveConfig.update(props);
            await("the archive moved to store b", () -> "b".equals(archive.activeStore()));
            archive.write("moves/two", new ByteArrayInputStream("two".getBytes()));
            assertTrue(Files.isRegularFile(rootB.resolve("moves/two")));
            assertFalse(Files.exists(rootA.resolve("moves/two")));
            assertEquals(java.util.List.of("moves/two"), archive.list("moves/"));
            assertArrayEquals("two".getBytes(), read(archive, "moves/two"));

            // a target that matches no store yet (a remote store still checking its bucket): the archive keeps b
            props.put("store.target", "(store.name=c)");
            archiveConfig.update(props);
            await("the archive keeps store b while nothing matches (store.name=c)",
                    () -> metric("chronik_archive_store_target_unmatched") == 1);
            assertEquals("b", archive.activeStore());
            archive.write("moves/three", new ByteArrayInputStream("three".getBytes()));
            assertTrue(Files.isRegularFile(rootB.resolve("moves/three")));
            // store c appears: the archive moves to it
            Path rootC = dataDir().resolve("store-c");
            storeConfig("c", rootC);
            await("the archive moved to store c once it was registered", () -> "c".equals(archive.activeStore()));
            assertEquals(0, metric("chronik_archive_store_target_unmatched"), 0);
            archive.write("moves/four", new ByteArrayInputStream("four".getBytes()));
            assertTrue(Files.isRegularFile(rootC.resolve("moves/four")));

            // moved in place, not restarted
            assertEquals(serviceId, archiveRef().getProperty("service.id"));
            assertEquals(componentId, archiveComponentId());
        } finally {
            props.put("store.target", "(store.name=local)");
            props.put("codec", "zstd");
            archiveConfig.update(props);
            await("the archive is back on the local store", () -> "local".equals(archive.activeStore()));
        }
    }

    /** The archive's unlabelled sample {@code name}, from its MetricSource (same registration as the Archive). */
    private double metric(String name) {
        Object source = context.getService(archiveRef());
        Double[] value = {Double.NaN};
        ((io.chronik.api.metrics.MetricSource) source).collect(new io.chronik.api.metrics.MetricSink() {
            @Override
            public Family family(String family, String help, Type type, String... labelNames) {
                return new Family() {
                    @Override
                    public Family sample(double v, String... labels) {
                        if (family.equals(name)) {
                            value[0] = v;
                        }
                        return this;
                    }
                };
            }

            @Override
            public Histogram histogram(String family, String help, double[] upperBounds, String... labelNames) {
                return new Histogram() {
                    @Override
                    public Histogram sample(long[] bucketCounts, double sum, String... labels) {
                        return this;
                    }
                };
            }
        });
        return value[0];
    }

    private void storeConfig(String name, Path root) throws Exception {
        org.osgi.service.cm.Configuration c = configAdmin.getFactoryConfiguration("io.chronik.storage.local", name, "?");
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("store.name", name);
        props.put("root", root.toString());
        c.update(props);
    }
}
