package io.chronik.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.apache.kafka.common.TopicPartition;
import org.junit.ClassRule;
import org.junit.Rule;
import org.junit.Test;

/**
 * Snapshots in S3 on three processes (racks r1–r3, a snapshot every 200 entries, 64 KiB Raft log segments) against a
 * real S3 server (s3proxy on loopback), while an idempotent producer ({@code acks=all}) writes:
 * <ul>
 * <li>with {@code --object-store s3}: the bucket holds gzip-compressed snapshot manifests of every data group, no more
 * than the retention count each, and the leaders' Raft logs are purged; a node killed and wiped meanwhile restarts,
 * fetches its groups from S3 (its fetch counter says so), rejoins every ISR, and a consumer in its rack reads every
 * acknowledged record exactly once from it;</li>
 * <li>started on the local store, the cluster's archive is switched to S3 at run time (the operator edits
 * {@code conf/config/io.chronik.archive.cfg}) under load: the next snapshots are full ones in S3, and a node wiped
 * afterwards rebuilds from S3.</li>
 * </ul>
 */
public class S3SnapshotRebuildIT {
    @ClassRule
    public static final S3Server S3 = new S3Server("chronik-snapshots");

    @Rule
    public final ProcessCluster cluster = new ProcessCluster(3).nodeArgs(FollowerFetchSupport::rackOf)
            .env(S3.env()).args("--session-timeout-ms", "3000", "--snapshot-log-threshold", "200")
            .distribution(WipedNodeRebuildIT::smallRaftSegments);

    @Test
    public void aWipedNodeRebuildsFromSnapshotsInS3() throws Exception {
        String prefix = "rebuild";
        cluster.start(args("s3", prefix));
        List<TopicPartition> tps = FollowerFetchSupport.createLedByNode1(cluster, "in-s3", 2);
        try (LoadProducer load = new LoadProducer(cluster.bootstrap(), "in-s3", tps, 300)) {
            load.awaitProgress(2_000, 120_000);
            ProcessCluster.await("manifests of the data groups in S3", 60_000, () -> manifests(prefix).size() >= 2);
            // retention deletes the oldest manifest right after writing a new one
            ProcessCluster.await("at most 3 manifests a group (the retention count)", 30_000,
                    () -> manifests(prefix).values().stream().allMatch(m -> m.size() <= 3),
                    () -> manifests(prefix).toString());
            Map<String, List<String>> manifests = manifests(prefix);
            System.out.println("manifests in S3: " + manifests);
            String any = manifests.values().iterator().next().get(0);
            assertArrayEquals("an archived blob compressed with gzip", "CHRA\1\4gzip".getBytes(StandardCharsets.US_ASCII),
                    head(any, 10));
            assertTrue("no snapshot index past the threshold: " + manifests, manifests.values().stream()
                    .flatMap(List::stream).anyMatch(k -> index(k) > 200));
            // Ratis purges whole log segments once a snapshot is a threshold past one: the load goes on meanwhile
            ProcessCluster.await("a data group of node 1 purged its Raft log", 90_000,
                    () -> purgedGroups(cluster.dataDir(1)) > 0);

            cluster.kill(3);
            cluster.wipe(3);
            load.awaitProgress(1_000, 60_000);
            cluster.restart(3);
            ProcessCluster.await("node 3 back in every ISR", 120_000, () -> cluster.inAllIsrs(3, tps.get(0).topic()));
            assertFetchedFromTheArchive(3);
            assertReadFromNode3(load, tps);
        }
    }

    @Test
    public void theSnapshotStoreIsSwitchedToS3UnderLoad() throws Exception {
        String prefix = "switched";
        cluster.start(args("local", prefix));
        List<TopicPartition> tps = FollowerFetchSupport.createLedByNode1(cluster, "switched", 2);
        try (LoadProducer load = new LoadProducer(cluster.bootstrap(), "switched", tps, 300)) {
            load.awaitProgress(1_000, 60_000);
            ProcessCluster.await("snapshots archived in the local store", 60_000,
                    () -> counter(1, "chronik_snapshot_archive_uploads_total") > 0);
            assertTrue("nothing in S3 before the switch", S3.keys(prefix + "/").isEmpty());

            Path cfg = cluster.home().resolve("conf/config/io.chronik.archive.cfg");
            String before = Files.readString(cfg);
            Files.writeString(cfg, before.replaceAll("(?m)^store\\.target=.*$", "store.target=(store.name=s3)"));
            ProcessCluster.await("full snapshots of the data groups in S3", 90_000, () -> manifests(prefix).size() >= 2);
            System.out.println("manifests in S3 after the switch: " + manifests(prefix));

            cluster.kill(3);
            cluster.wipe(3);
            load.awaitProgress(1_000, 60_000);
            cluster.restart(3);
            ProcessCluster.await("node 3 back in every ISR", 120_000, () -> cluster.inAllIsrs(3, tps.get(0).topic()));
            assertFetchedFromTheArchive(3);
            assertReadFromNode3(load, tps);
        }
    }

    /** Flags: the object store and the S3 server (registered as store {@code s3} either way). */
    private static String[] args(String store, String keyPrefix) {
        return Stream.concat(Stream.of("--object-store", store), S3.nodeArgs(keyPrefix).stream()).toArray(String[]::new);
    }

    /** The data groups' manifest keys in S3, by group directory. */
    private static Map<String, List<String>> manifests(String prefix) {
        return S3.keys(prefix + "/").stream().filter(k -> k.contains("/groups/") && k.contains("/manifests/"))
                .collect(Collectors.groupingBy(k -> k.substring(0, k.indexOf("/manifests/")), TreeMap::new,
                        Collectors.toList()));
    }

    private static long index(String manifestKey) {
        String name = manifestKey.substring(manifestKey.lastIndexOf('/') + 1);
        return Long.parseLong(name.substring(0, name.indexOf('.')));
    }

    private static byte[] head(String key, int n) throws Exception {
        try (InputStream in = S3.blobStore().getBlob(S3.bucket(), key).getPayload().openStream()) {
            return Arrays.copyOf(in.readNBytes(n), n);
        }
    }

    /**
     * The data groups of the node that no longer have their Raft log's first segment ({@code log_0-...}): Ratis purged
     * it after a snapshot.
     */
    private static int purgedGroups(Path dataDir) throws Exception {
        int purged = 0;
        try (Stream<Path> groups = Files.list(dataDir.resolve("raft"))) {
            for (Path g : (Iterable<Path>) groups::iterator) {
                Path current = g.resolve("current");
                if (!Files.isDirectory(g.resolve("sm").resolve("snapshots")) || !Files.isDirectory(current)) {
                    continue; // the metadata group, or not a group
                }
                try (Stream<Path> logs = Files.list(current)) {
                    List<String> names = logs.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("log_")).toList();
                    if (!names.isEmpty() && names.stream().noneMatch(n -> n.startsWith("log_0-"))) {
                        purged++;
                    }
                }
            }
        }
        return purged;
    }

    private void assertFetchedFromTheArchive(int id) throws Exception {
        double fetches = counter(id, "chronik_snapshot_archive_fetches_total");
        String out = cluster.output(id);
        int started = count(out, "fetched from the object store (");
        int without = count(out, "starting without the snapshot fetched");
        System.out.println("node " + id + " fetched " + fetches + " snapshot(s) from the object store; groups started "
                + "from one: " + started + ", started without it after a failed start: " + without);
        assertTrue("node " + id + " fetched no snapshot from the object store", fetches > 0);
        assertEquals("groups of node " + id + " that started from the fetched snapshot", 2, started);
        assertEquals("groups of node " + id + " that had to start without it", 0, without);
    }

    private void assertReadFromNode3(LoadProducer load, List<TopicPartition> tps) throws Exception {
        load.awaitProgress(300, 60_000);
        load.stop();
        try (RackReader reader = new RackReader(cluster.bootstrap(), "r3", tps)) {
            reader.awaitAcknowledged(load, 120_000);
            System.out.println(reader.assertReadExactlyOnce(load) + "; bytes from nodes 1, 2, 3: " + reader.bytesFrom(1)
                    + ", " + reader.bytesFrom(2) + ", " + reader.bytesFrom(3));
            assertTrue("the r3 consumer read " + reader.bytesFrom(3) + " bytes from node 3", reader.bytesFrom(3) > 10_000);
        }
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    private double counter(int id, String name) throws Exception {
        OptionalDouble v = FollowerFetchSupport.counter(cluster, id, name);
        return v.orElse(0);
    }
}
