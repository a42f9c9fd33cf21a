package io.chronik.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import javax.inject.Inject;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

import io.chronik.api.compression.CompressionCodec;
import io.chronik.api.store.ObjectStore;

/** Every shipped bundle resolves and starts, every component is satisfied, and /metrics serves what it should. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class PlatformIT extends ContainerSupport {

    @Inject
    private ServiceComponentRuntime scr;

    @Configuration
    public Option[] config() {
        return chronikOptions();
    }

    @Test
    public void everyShippedBundleIsInstalledAndActive() {
        Set<String> installedFromDistribution = new TreeSet<>();
        for (Bundle b : context.getBundles()) {
            if (b.getLocation().startsWith(distribution().resolve("bundle").toUri().toString())) {
                installedFromDistribution.add(b.getLocation());
            }
            if (b.getHeaders().get(Constants.FRAGMENT_HOST) == null) {
                assertEquals(b.getSymbolicName() + " state", Bundle.ACTIVE, b.getState());
            }
        }
        assertEquals(shippedBundles().size(), installedFromDistribution.size());
        for (String bsn : List.of("io.chronik.api", "io.chronik.storage.local", "io.chronik.compression",
                "io.chronik.archive", "io.chronik.metrics.prometheus", "org.apache.felix.scr")) {
            assertEquals(bsn, Bundle.ACTIVE, bundle(bsn).getState());
        }
    }

    @Test
    public void everyComponentIsSatisfied() throws Exception {
        await("every component of the Chronik bundles is satisfied", () -> problems().isEmpty());
        assertEquals(List.of(), problems());
    }

    private List<String> problems() {
        List<String> problems = new ArrayList<>();
        Collection<ComponentDescriptionDTO> descriptions = scr.getComponentDescriptionDTOs();
        assertFalse("no components found", descriptions.isEmpty());
        for (ComponentDescriptionDTO d : descriptions) {
            Collection<ComponentConfigurationDTO> configs = scr.getComponentConfigurationDTOs(d);
            if (configs.isEmpty()) {
                problems.add(d.name + " has no configuration");
            }
            for (ComponentConfigurationDTO c : configs) {
                if (c.state != ComponentConfigurationDTO.ACTIVE && c.state != ComponentConfigurationDTO.SATISFIED) {
                    problems.add(d.name + " is in state " + c.state + (c.failure == null ? "" : ": " + c.failure));
                }
            }
        }
        return problems;
    }

    @Test
    public void providersAreRegisteredWithTheirNames() throws Exception {
        await("five codecs are registered", () -> context.getServiceReferences(CompressionCodec.class, null).size() == 5);
        Set<Object> names = new TreeSet<>();
        context.getServiceReferences(CompressionCodec.class, null).forEach(r -> names.add(r.getProperty(CompressionCodec.CODEC_NAME)));
        assertEquals(Set.of("gzip", "lz4", "none", "snappy", "zstd"), names);
        await("the local object store is registered",
                () -> !context.getServiceReferences(ObjectStore.class, "(store.name=local)").isEmpty());
    }

    @Test
    public void everyCodecRoundTripsInsideTheFramework() throws Exception {
        await("five codecs are registered", () -> context.getServiceReferences(CompressionCodec.class, null).size() == 5);
        byte[] data = "a log line that repeats; ".repeat(10_000).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (org.osgi.framework.ServiceReference<CompressionCodec> ref : context.getServiceReferences(CompressionCodec.class, null)) {
            CompressionCodec codec = context.getService(ref);
            java.io.ByteArrayOutputStream compressed = new java.io.ByteArrayOutputStream();
            try (java.io.OutputStream out = codec.compress(compressed)) {
                out.write(data);
            }
            try (java.io.InputStream in = codec.decompress(new java.io.ByteArrayInputStream(compressed.toByteArray()))) {
                org.junit.Assert.assertArrayEquals(codec.name(), data, in.readAllBytes());
            }
            context.ungetService(ref);
        }
    }

    @Test
    public void metricsShowBuildInfoJvmAndContributedMetricsUntilTheContributorStops() throws Exception {
        await("/metrics lists the archive's metrics", () -> scrape().contains("chronik_archive_blobs_written_total"));
        String text = scrape();
        assertTrue(text, text.contains("# TYPE chronik_build_info gauge"));
        assertTrue(text, text.contains("chronik_build_info{version=\"" + System.getProperty("chronik.version") + "\",} 1.0"));
        assertTrue(text, text.contains("jvm_memory_bytes_used{area=\"heap\",}"));
        assertTrue(text, text.contains("chronik_archive_codecs_bound{codec=\"zstd\",} 1.0"));

        Bundle archive = bundle("io.chronik.archive");
        archive.stop();
        try {
            await("the archive's metrics are gone", () -> !scrape().contains("chronik_archive_"));
            assertTrue(scrape().contains("chronik_build_info"));
        } finally {
            archive.start();
        }
        await("the archive's metrics are back", () -> scrape().contains("chronik_archive_blobs_written_total"));
    }

    private String scrape() throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://" + context.getProperty("chronik.metrics.addr") + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        return response.body();
    }

}
