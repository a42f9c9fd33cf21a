package io.chronik.raft.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.ratis.protocol.exceptions.ServerNotReadyException;
import org.apache.ratis.protocol.exceptions.TimeoutIOException;
import org.junit.Test;

import io.chronik.ratis.rpc.TransportObserver;
import io.chronik.ratis.rpc.TransportObserver.Kind;
import io.chronik.testing.RecordingMetricSink;

/** The transport metrics' exposition: counters, latency histogram, errors by class, connections, bounded peers. */
public class TransportMetricsTest {
    private final TransportMetrics metrics = new TransportMetrics(3);

    private static String labels(String transport, String peer, String kind) {
        return "{node_id=\"3\",transport=\"" + transport + "\",peer=\"" + peer + "\",kind=\"" + kind + "\"}";
    }

    @Test
    public void countsMessagesBytesLatencyAndErrorsByPeerAndKind() {
        TransportObserver grpc = metrics.observer("grpc");
        grpc.sent("n2", Kind.APPEND, 100);
        grpc.sent("n2", Kind.APPEND, 50);
        grpc.received("n2", Kind.APPEND, 20);
        grpc.completed("n2", Kind.APPEND, TimeUnit.MILLISECONDS.toNanos(2), null);
        grpc.sent("n3", Kind.VOTE, 30);
        grpc.completed("n3", Kind.VOTE, TimeUnit.SECONDS.toNanos(3), new TimeoutIOException("deadline"));
        grpc.received("n3", Kind.READ_INDEX, 12);

        Map<String, Double> s = RecordingMetricSink.collect(metrics);
        String append = labels("grpc", "n2", "append");
        assertEquals(2.0, s.get("chronik_raft_transport_messages_sent_total" + append), 0);
        assertEquals(150.0, s.get("chronik_raft_transport_sent_bytes_total" + append), 0);
        assertEquals(1.0, s.get("chronik_raft_transport_messages_received_total" + append), 0);
        assertEquals(20.0, s.get("chronik_raft_transport_received_bytes_total" + append), 0);
        assertEquals(1.0, s.get("chronik_raft_transport_rpc_duration_seconds_count" + append), 0);
        assertEquals(0.002, s.get("chronik_raft_transport_rpc_duration_seconds_sum" + append), 1e-9);
        assertEquals(0.0, s.get("chronik_raft_transport_rpc_duration_seconds_bucket{node_id=\"3\",transport=\"grpc\","
                + "peer=\"n2\",kind=\"append\",le=\"0.001\"}"), 0);
        assertEquals(1.0, s.get("chronik_raft_transport_rpc_duration_seconds_bucket{node_id=\"3\",transport=\"grpc\","
                + "peer=\"n2\",kind=\"append\",le=\"0.0025\"}"), 0);
        assertNull("no errors, no error series", s.get("chronik_raft_transport_rpc_errors_total{node_id=\"3\","
                + "transport=\"grpc\",peer=\"n2\",kind=\"append\",error=\"timeout\"}"));

        String vote = labels("grpc", "n3", "vote");
        assertEquals(1.0, s.get("chronik_raft_transport_messages_sent_total" + vote), 0);
        assertEquals(0.0, s.get("chronik_raft_transport_messages_received_total" + vote), 0);
        assertEquals(1.0, s.get("chronik_raft_transport_rpc_duration_seconds_bucket{node_id=\"3\",transport=\"grpc\","
                + "peer=\"n3\",kind=\"vote\",le=\"5.0\"}"), 0);
        assertEquals(1.0, s.get("chronik_raft_transport_rpc_errors_total{node_id=\"3\",transport=\"grpc\",peer=\"n3\","
                + "kind=\"vote\",error=\"timeout\"}"), 0);
        // received only: counted, but no latency (this node sent no request of that kind)
        assertEquals(12.0, s.get("chronik_raft_transport_received_bytes_total" + labels("grpc", "n3", "read_index")), 0);
        assertNull(s.get("chronik_raft_transport_rpc_duration_seconds_count" + labels("grpc", "n3", "read_index")));
        assertNull("no connections reported, no gauge", s.get(
                "chronik_raft_transport_connections{node_id=\"3\",transport=\"grpc\",peer=\"n2\"}"));
        assertNull("kinds without traffic have no series", s.get("chronik_raft_transport_messages_sent_total"
                + labels("grpc", "n2", "snapshot")));
    }

    @Test
    public void connectionsAreAGaugePerPeer() {
        TransportObserver grpc = metrics.observer("grpc");
        grpc.connected("n2");
        grpc.connected("n2");
        grpc.connected("n4");
        grpc.disconnected("n2");
        Map<String, Double> s = RecordingMetricSink.collect(metrics);
        assertEquals(1.0, s.get("chronik_raft_transport_connections{node_id=\"3\",transport=\"grpc\",peer=\"n2\"}"), 0);
        assertEquals(1.0, s.get("chronik_raft_transport_connections{node_id=\"3\",transport=\"grpc\",peer=\"n4\"}"), 0);
        grpc.disconnected("n4");
        grpc.disconnected("n4"); // more closes than opens (a transport's bookkeeping): never below zero
        assertEquals(0.0, RecordingMetricSink.collect(metrics).get(
                "chronik_raft_transport_connections{node_id=\"3\",transport=\"grpc\",peer=\"n4\"}"), 0);
        assertEquals(1, metrics.connections("grpc", "n2"));
    }

    @Test
    public void eachTransportHasItsOwnSeriesAndTheCountersOutliveASwap() {
        metrics.observer("grpc").sent("n2", Kind.APPEND, 10);
        metrics.observer("memory").sent("n2", Kind.APPEND, 7);
        metrics.observer("grpc").sent("n2", Kind.APPEND, 10); // back to gRPC: the same counters go on
        Map<String, Double> s = RecordingMetricSink.collect(metrics);
        assertEquals(20.0, s.get("chronik_raft_transport_sent_bytes_total" + labels("grpc", "n2", "append")), 0);
        assertEquals(7.0, s.get("chronik_raft_transport_sent_bytes_total" + labels("memory", "n2", "append")), 0);
    }

    @Test
    public void peersAreBoundedAndNullsHaveALabel() {
        TransportObserver t = metrics.observer("grpc");
        for (int i = 0; i < TransportMetrics.MAX_PEERS + 50; i++) {
            t.received("10.0.0." + i + ":" + (40000 + i), Kind.CLIENT, 1);
        }
        t.sent(null, null, -5);
        Map<String, Double> s = RecordingMetricSink.collect(metrics);
        long series = s.keySet().stream().filter(k -> k.startsWith("chronik_raft_transport_messages_received_total"))
                .count();
        assertTrue("series: " + series, series <= TransportMetrics.MAX_PEERS + 1);
        assertEquals(50.0, s.get("chronik_raft_transport_messages_received_total"
                + labels("grpc", TransportMetrics.OTHER_PEER, "client")), 0);
        assertFalse(s.containsKey("chronik_raft_transport_messages_received_total"
                + labels("grpc", "10.0.0.299:40299", "client")));
        // the null peer (unknown) came after the bound too; its kind defaulted to client, its bytes to at least 0
        assertEquals(1.0, s.get("chronik_raft_transport_messages_sent_total" + labels("grpc", "other", "client")), 0);
        assertEquals(0.0, s.get("chronik_raft_transport_sent_bytes_total" + labels("grpc", "other", "client")), 0);
    }

    @Test
    public void errorsFallIntoAFewClasses() {
        assertEquals("timeout", TransportMetrics.errorClass(new java.util.concurrent.TimeoutException()));
        assertEquals("timeout", TransportMetrics.errorClass(new IOException(new TimeoutIOException("slow"))));
        assertEquals("unavailable", TransportMetrics.errorClass(new IOException(new ConnectException("refused"))));
        assertEquals("rejected", TransportMetrics.errorClass(new ServerNotReadyException("starting")));
        assertEquals("other", TransportMetrics.errorClass(new IllegalStateException("bug")));
        assertEquals("timeout", TransportMetrics.errorClass(new StatusRuntimeException("DEADLINE_EXCEEDED: deadline")));
        assertEquals("unavailable", TransportMetrics.errorClass(new StatusRuntimeException("UNAVAILABLE: io exception")));
        assertEquals("other", TransportMetrics.errorClass(new StatusRuntimeException("INTERNAL: boom")));
    }

    /** Stands for gRPC's exception of the same simple name, which the metrics recognise by name and message. */
    private static final class StatusRuntimeException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        StatusRuntimeException(String message) {
            super(message);
        }
    }
}
