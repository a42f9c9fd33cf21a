package io.chronik.protocol.kafka.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.File;
import java.io.IOException;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.RecordBatch;
import org.apache.kafka.common.record.SimpleRecord;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceRegistration;

import io.chronik.api.consensus.ClusterMetadata;
import io.chronik.api.consensus.PartitionLogs;
import io.chronik.api.metrics.MetricSource;
import io.chronik.api.net.HostPort;
import io.chronik.testing.EmbeddedFelix;
import io.chronik.testing.RecordingMetricSink;

/**
 * The built bundle (target/classes, with bnd's manifest and the embedded kafka-clients and Netty) in a plain Felix
 * whose system bundle exports only the JDK, the OSGi framework, io.chronik.api.consensus, .net and .metrics, and SLF4J:
 * it resolves, SCR activates the component once it is configured and both services are present, it serves Kafka
 * requests and registers its metrics, and it closes the listener (and unregisters the metrics) when a mandatory
 * service goes away.
 */
public class OsgiComponentIT {
    private EmbeddedFelix felix;
    private InMemoryCluster cluster;

    @Before
    public void startFramework() throws Exception {
        felix = EmbeddedFelix.builder()
                // the cluster below stands in for the provider bundle; the test reads the MetricSource it registers
                .systemPackagesOf(ClusterMetadata.class, HostPort.class, MetricSource.class)
                .slf4j("2.0.17")
                .start();
        cluster = new InMemoryCluster(1);
    }

    @After
    public void stopFramework() throws Exception {
        if (felix != null) {
            felix.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    public void resolvesActivatesServesAndDeactivates() throws Exception {
        List<Path> runtime = new ArrayList<>();
        for (String resource : List.of(
                "org/osgi/util/function/Function.class",
                "org/osgi/util/promise/Promise.class",
                "org/osgi/service/component/ComponentContext.class",
                "org/apache/felix/cm/impl/ConfigurationAdminImpl.class",
                "org/apache/felix/scr/impl/Activator.class")) {
            runtime.add(EmbeddedFelix.classPathJar(resource));
        }
        felix.installAndStart(runtime);
        File classes = new File("target/classes").getAbsoluteFile();
        assertTrue(new File(classes, "META-INF/MANIFEST.MF").isFile());
        Bundle protocol = felix.install("reference:file:" + classes.getPath());
        protocol.start(); // throws if any mandatory import does not resolve
        assertEquals("io.chronik.protocol.kafka", protocol.getSymbolicName());
        assertEquals(Bundle.ACTIVE, protocol.getState());

        int port = freePort();
        cluster.setPort(port);
        cluster.createTopic("osgi", 1, 1, Map.of()).toCompletableFuture().get(5, TimeUnit.SECONDS);
        ServiceRegistration<?> reg = felix.context().registerService(
                new String[] {ClusterMetadata.class.getName(), PartitionLogs.class.getName()}, cluster, null);
        felix.configure("io.chronik.protocol.kafka", Map.of("kafka.addr", "127.0.0.1:" + port, "node.id", "1",
                "metrics.topic.labels.max", "0"));

        RawClient client = connect(port);
        try {
            client.send(ApiKeys.API_VERSIONS, (short) 3, 1, new ApiVersionsRequestData().setClientSoftwareName("osgi")
                    .setClientSoftwareVersion("1"));
            ApiVersionsResponseData av = client.receive(ApiKeys.API_VERSIONS, (short) 3, 1);
            assertEquals(Errors.NONE.code(), av.errorCode());
            client.send(ApiKeys.METADATA, (short) 12, 2, new MetadataRequestData().setTopics(null));
            MetadataResponseData md = client.receive(ApiKeys.METADATA, (short) 12, 2);
            assertNotNull(md.topics().find("osgi"));
            assertEquals(port, md.brokers().find(1).port());
            MemoryRecords records = MemoryRecords.withRecords(RecordBatch.MAGIC_VALUE_V2, Compression.NONE,
                    new SimpleRecord(System.currentTimeMillis(), null, "x".getBytes(StandardCharsets.UTF_8)));
            ProduceRequestData produce = new ProduceRequestData().setAcks((short) 1).setTimeoutMs(5000);
            ProduceRequestData.TopicProduceData td = new ProduceRequestData.TopicProduceData().setName("osgi");
            td.partitionData().add(new ProduceRequestData.PartitionProduceData().setIndex(0).setRecords(records));
            produce.topicData().add(td);
            client.send(ApiKeys.PRODUCE, (short) 9, 3, produce);
            ProduceResponseData pr = client.receive(ApiKeys.PRODUCE, (short) 9, 3);
            assertEquals(Errors.NONE.code(), pr.responses().iterator().next().partitionResponses().get(0).errorCode());
        } finally {
            client.close();
        }
        MetricSource metrics = (MetricSource) felix.awaitService(MetricSource.class.getName(), Duration.ofSeconds(10));
        Map<String, Double> m = RecordingMetricSink.collect(metrics);
        assertEquals(0.0, m.get("chronik_fetch_follower_partitions_total{node_id=\"1\"}"), 0);
        // the broker metrics, with kafka-clients' response classes embedded in the bundle counting the errors
        assertEquals(1.0, m.get("chronik_kafka_requests_total{node_id=\"1\",api=\"Metadata\"}"), 0);
        assertEquals(1.0, m.get("chronik_kafka_request_duration_seconds_count{node_id=\"1\",api=\"Metadata\"}"), 0);
        assertEquals(1.0, m.get("chronik_partitions{node_id=\"1\"}"), 0);
        assertEquals("metrics.topic.labels.max=0: the record is counted in the aggregate", 1.0,
                m.get("chronik_topic_records_in_total{node_id=\"1\",topic=\"_other\"}"), 0);
        assertNull(m.get("chronik_topic_records_in_total{node_id=\"1\",topic=\"osgi\"}"));

        // the mandatory services go away: the component deactivates and closes its listener
        reg.unregister();
        felix.awaitNoService(MetricSource.class.getName(), Duration.ofSeconds(10));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                if (System.nanoTime() > deadline) {
                    fail("the listener is still open after the services were unregistered");
                }
                Thread.sleep(50);
            } catch (ConnectException e) {
                break;
            }
        }
    }

    private static RawClient connect(int port) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try {
                return new RawClient(port);
            } catch (ConnectException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(50);
            }
        }
    }
}
