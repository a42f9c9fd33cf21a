package io.chronik.launcher;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import io.chronik.api.net.HostPort;

public class NodeSettingsTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private NodeSettings resolve(Map<String, String> env, String... args) throws UsageException {
        return NodeSettings.resolve(List.of(args), env, tmp.getRoot().toPath());
    }

    @Test
    public void defaultsMatchThePublicContract() throws UsageException {
        NodeSettings s = resolve(Map.of());
        assertEquals("1", s.get(Setting.NODE_ID));
        assertEquals("0.0.0.0:9092", s.get(Setting.KAFKA_ADDR));
        assertEquals("localhost:9092", s.get(Setting.ADVERTISED_ADDR));
        assertEquals("127.0.0.1:5001", s.get(Setting.RAFT_ADDR));
        assertEquals("0.0.0.0:9101", s.get(Setting.METRICS_ADDR));
        assertEquals("local", s.get(Setting.OBJECT_STORE));
        assertEquals("", s.get(Setting.RACK));
        assertTrue(s.peers().isEmpty());
        assertEquals(tmp.getRoot().toPath().resolve("data"), s.dataDir());
        assertEquals("true", s.get(Setting.AUTO_LEADER_REBALANCE_ENABLE));
        assertEquals("300", s.get(Setting.LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS));
    }

    @Test
    public void leaderRebalanceSettings() throws UsageException {
        NodeSettings s = resolve(Map.of("CHRONIK_AUTO_LEADER_REBALANCE_ENABLE", "FALSE"),
                "--leader-imbalance-check-interval-seconds", "5");
        assertEquals("false", s.get(Setting.AUTO_LEADER_REBALANCE_ENABLE));
        assertEquals("5", s.get(Setting.LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS));
        assertMessage("--auto-leader-rebalance-enable 'yes' is not true or false", "--auto-leader-rebalance-enable", "yes");
        assertMessage("--leader-imbalance-check-interval-seconds '0' is not a positive integer",
                "--leader-imbalance-check-interval-seconds", "0");
    }

    @Test
    public void flagBeatsEnvironmentBeatsConfFileBeatsDefault() throws IOException, UsageException {
        Path conf = tmp.newFolder("conf").toPath();
        Files.writeString(conf.resolve("chronik.properties"), "node.id=7\nkafka.addr=127.0.0.1:9300\nmetrics.addr=127.0.0.1:9400\n");
        NodeSettings s = resolve(Map.of("CHRONIK_NODE_ID", "8", "CHRONIK_KAFKA_ADDR", "127.0.0.1:9301"), "--node-id", "9");
        assertEquals("9", s.get(Setting.NODE_ID));
        assertEquals("127.0.0.1:9301", s.get(Setting.KAFKA_ADDR));
        assertEquals("127.0.0.1:9400", s.get(Setting.METRICS_ADDR));
        assertEquals("localhost:9301", s.get(Setting.ADVERTISED_ADDR));
        assertEquals("3", resolve(Map.of(), "--node-id=3").get(Setting.NODE_ID));
    }

    @Test
    public void rackComesFromFlagEnvironmentOrConfAndReachesTheFramework() throws IOException, UsageException {
        assertEquals("eu-1a", resolve(Map.of("CHRONIK_RACK", "eu-1b"), "--rack", " eu-1a ").get(Setting.RACK));
        assertEquals("eu-1b", resolve(Map.of("CHRONIK_RACK", "eu-1b")).get(Setting.RACK));
        Path conf = tmp.newFolder("conf").toPath();
        Files.writeString(conf.resolve("chronik.properties"), "rack=eu-1c\n");
        NodeSettings s = resolve(Map.of());
        assertEquals("eu-1c", s.get(Setting.RACK));
        assertEquals("eu-1c", s.frameworkProperties().get("chronik.rack"));
    }

    @Test
    public void advertisedHostWithoutPortTakesTheKafkaPort() throws UsageException {
        assertEquals("broker1:9093", resolve(Map.of(), "--kafka-addr", "0.0.0.0:9093", "--advertised-addr", "broker1").get(Setting.ADVERTISED_ADDR));
        assertEquals("[::1]:9000", resolve(Map.of(), "--advertised-addr", "[::1]:9000").get(Setting.ADVERTISED_ADDR));
        assertEquals("[::1]:9092", resolve(Map.of(), "--advertised-addr", "[::1]").get(Setting.ADVERTISED_ADDR));
        assertMessage("--advertised-addr '::1' is not host:port: write an IPv6 address in brackets, as [address]:port",
                "--advertised-addr", "::1");
    }

    @Test
    public void peersAreParsedAndMustIncludeThisNode() throws UsageException {
        NodeSettings s = resolve(Map.of("CHRONIK_CLUSTER_PEERS", "1@127.0.0.1:5001,2@127.0.0.1:5002"));
        assertEquals(2, s.peers().size());
        assertEquals(new HostPort("127.0.0.1", 5002), s.peers().get(2));
        assertMessage("does not include this node", "--node-id", "3", "--peers", "1@h:1,2@h:2");
        assertMessage("names node 1 twice", "--peers", "1@h:1,1@h:2");
        assertMessage("is not id@host:port", "--peers", "h:1");
        assertMessage("non-numeric node id", "--peers", "x@h:1");
        assertMessage("--peers entry '1@h:0': 'h:0' is not host:port: port must be 1-65535 (got 0)", "--peers", "1@h:0");
    }

    @Test
    public void badFlagsAndValuesAreRejectedWithOneLine() {
        assertMessage("unknown flag --bogus", "--bogus", "1");
        assertMessage("needs a value", "--node-id");
        assertMessage("--node-id 'x' is not a non-negative integer", "--node-id", "x");
        assertMessage("--kafka-addr '9092' is not host:port", "--kafka-addr", "9092");
        assertMessage("port must be 1-65535", "--metrics-addr", "0.0.0.0:70000");
        assertMessage("non-numeric port", "--raft-addr", "h:abc");
        assertMessage("--object-store 'nfs' is not available", "--object-store", "nfs");
        assertMessage("unexpected argument", "stray");
        assertMessage("--log-level", "--log-level", "loud");
        assertMessage("--flush-policy 'never' is not one of raft, os", "--flush-policy", "never");
        assertMessage("--session-timeout-ms '50' is not a number of milliseconds >= 100", "--session-timeout-ms", "50");
        assertMessage("--session-timeout-ms 'soon' is not", "--session-timeout-ms", "soon");
        assertMessage("--snapshot-enabled 'maybe' is not true or false", "--snapshot-enabled", "maybe");
        assertMessage("--snapshot-log-threshold '0' is not a positive number of entries", "--snapshot-log-threshold", "0");
        assertMessage("--snapshot-time-threshold-secs '-1' is not a number of seconds >= 0",
                "--snapshot-time-threshold-secs", "-1");
        assertMessage("--snapshot-max-concurrent '0' is not a positive integer", "--snapshot-max-concurrent", "0");
        assertMessage("--snapshot-retention-count 'x' is not a positive integer", "--snapshot-retention-count", "x");
        assertMessage("--snapshot-compression 'lzma' is not one of gzip, zstd, none", "--snapshot-compression", "lzma");
    }

    @Test
    public void transportDefaultsToGrpcAndReachesTheFrameworkAsChronikTransport() throws IOException, UsageException {
        NodeSettings s = resolve(Map.of());
        assertEquals("grpc", s.get(Setting.TRANSPORT));
        assertEquals("grpc", s.frameworkProperties().get("chronik.transport"));
        assertTrue(s.raftSocket());
        s = resolve(Map.of("CHRONIK_TRANSPORT", "MEMORY"));
        assertEquals("memory", s.frameworkProperties().get("chronik.transport"));
        assertFalse(s.raftSocket());
        // a single node may name itself in --peers
        assertEquals("memory", resolve(Map.of(), "--transport", "memory", "--node-id", "2", "--peers", "2@127.0.0.1:5002",
                "--raft-addr", "127.0.0.1:5002")
                .get(Setting.TRANSPORT));
        Path conf = tmp.newFolder("conf").toPath();
        Files.writeString(conf.resolve("chronik.properties"), "transport=memory\n");
        assertEquals("memory", resolve(Map.of()).get(Setting.TRANSPORT));
        assertEquals("grpc", resolve(Map.of(), "--transport", "grpc").get(Setting.TRANSPORT));
    }

    @Test
    public void unknownTransportsAndTheMemoryTransportWithOtherPeersAreUsageErrors() {
        assertMessage("--transport 'netty' is not one of grpc, memory", "--transport", "netty");
        assertMessage("--transport memory carries Raft traffic only inside this process, so it cannot reach the other "
                + "--peers [2, 3]: use --transport grpc for a cluster of processes", "--transport", "memory", "--peers",
                "1@127.0.0.1:5001,2@127.0.0.1:5002,3@127.0.0.1:5003");
        assertMessage("--transport memory needs this node's --peers address 127.0.0.1:5001 to be its --raft-addr "
                + "0.0.0.0:5001", "--transport", "memory", "--peers", "1@127.0.0.1:5001", "--raft-addr", "0.0.0.0:5001");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(List.of("start", "--transport", "memory", "--peers", "1@127.0.0.1:5001,2@127.0.0.1:5002"),
                Map.of(), tmp.getRoot().toPath(), new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, code);
        String line = err.toString(StandardCharsets.UTF_8);
        assertTrue(line, line.startsWith("chronik: --transport memory ") && line.indexOf('\n') == line.length() - 1);
    }

    @Test
    public void s3StoreSettingsReachTheFrameworkAsChronikS3Properties() throws IOException, UsageException {
        NodeSettings s = resolve(Map.of("CHRONIK_S3_REGION", "eu-west-1", "CHRONIK_S3_PATH_STYLE", "TRUE"),
                "--object-store", "s3", "--s3-bucket", "chronik-data", "--s3-endpoint", "http://127.0.0.1:9000",
                "--s3-key-prefix", "/cluster-1/");
        Map<String, String> props = s.frameworkProperties();
        assertEquals("s3", props.get("chronik.object.store"));
        assertEquals("chronik-data", props.get("chronik.s3.bucket"));
        assertEquals("http://127.0.0.1:9000", props.get("chronik.s3.endpoint"));
        assertEquals("eu-west-1", props.get("chronik.s3.region"));
        assertEquals("true", props.get("chronik.s3.path.style"));
        assertEquals("cluster-1", props.get("chronik.s3.key.prefix"));

        Path conf = tmp.newFolder("conf").toPath();
        Files.writeString(conf.resolve("chronik.properties"), "object.store=s3\ns3.bucket=from-file\n");
        s = resolve(Map.of("CHRONIK_S3_BUCKET", "from-env"));
        assertEquals("s3", s.get(Setting.OBJECT_STORE));
        assertEquals("from-env", s.get(Setting.S3_BUCKET));
        assertEquals("from-file", resolve(Map.of()).get(Setting.S3_BUCKET));
    }

    @Test
    public void s3DefaultsLeaveTheS3StoreUnconfigured() throws UsageException {
        Map<String, String> props = resolve(Map.of()).frameworkProperties();
        assertEquals("", props.get("chronik.s3.bucket"));
        assertEquals("", props.get("chronik.s3.endpoint"));
        assertEquals("", props.get("chronik.s3.region"));
        assertEquals("false", props.get("chronik.s3.path.style"));
        assertEquals("", props.get("chronik.s3.key.prefix"));
    }

    @Test
    public void badS3SettingsAreUsageErrorsNamingTheFlag() {
        assertMessage("--object-store s3 needs --s3-bucket (or CHRONIK_S3_BUCKET)", "--object-store", "s3");
        assertMessage("--s3-bucket 'My_Bucket' is not a bucket name", "--object-store", "s3", "--s3-bucket", "My_Bucket");
        assertMessage("--s3-bucket 'a/b' is not a bucket name", "--s3-bucket", "a/b");
        assertMessage("--s3-endpoint 'ftp://127.0.0.1' is not an http:// or https:// URL with a host",
                "--object-store", "s3", "--s3-bucket", "b1", "--s3-endpoint", "ftp://127.0.0.1");
        assertMessage("--s3-endpoint 'http://a b' is not a URL", "--s3-bucket", "b1", "--s3-endpoint", "http://a b");
        assertMessage("--s3-path-style 'yes' is not true or false", "--s3-path-style", "yes");
        assertMessage("--s3-region 'eu west' is not a region name", "--s3-region", "eu west");
        assertMessage("--s3-key-prefix 'a//b' is not a key prefix (contains an empty segment)", "--s3-key-prefix", "a//b");
        assertMessage("--s3-key-prefix 'a/../b' is not a key prefix", "--s3-key-prefix", "a/../b");
    }

    @Test
    public void objectStoreS3WithoutBucketExitsWithCodeTwo() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(List.of("start", "--object-store", "s3"), Map.of(), tmp.getRoot().toPath(),
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, code);
        assertEquals("chronik: --object-store s3 needs --s3-bucket (or CHRONIK_S3_BUCKET)\n", err.toString(StandardCharsets.UTF_8));
    }

    private void assertMessage(String expected, String... args) {
        UsageException e = assertThrows(UsageException.class, () -> resolve(Map.of(), args));
        assertTrue(e.getMessage(), e.getMessage().contains(expected));
        assertTrue(e.getMessage(), !e.getMessage().contains("\n"));
    }

    @Test
    public void helpDocumentsEveryFlagAndItsEnvironmentVariable() {
        String help = Main.help();
        for (Setting s : Setting.values()) {
            assertTrue(s.flag(), help.contains("--" + s.flag()));
            assertTrue(s.env(), help.contains(s.env()));
        }
    }

    @Test
    public void badFlagExitsWithCodeTwoAndOneLine() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(List.of("start", "--nope"), Map.of(), tmp.getRoot().toPath(), new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, code);
        assertEquals("chronik: unknown flag --nope (see --help)\n", err.toString(StandardCharsets.UTF_8));
        assertEquals(2, Main.run(List.of("frobnicate"), Map.of(), tmp.getRoot().toPath(), System.out, new PrintStream(new ByteArrayOutputStream())));
    }
}
