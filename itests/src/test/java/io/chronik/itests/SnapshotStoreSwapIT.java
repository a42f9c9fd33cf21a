package io.chronik.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.systemPackages;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Dictionary;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Hashtable;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.jar.JarFile;
import java.util.zip.CRC32;

import javax.inject.Inject;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.options.FrameworkPropertyOption;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.ConfigurationAdmin;

import io.chronik.api.archive.Archive;
import io.chronik.api.compression.CompressionCodec;
import io.chronik.api.store.ObjectStore;

/**
 * Issue 12 item 6: the snapshot store is swapped inside one running framework while a Kafka producer produces. A
 * second local object store ({@code swapped}) is created through Configuration Admin, the archive is retargeted to
 * it once the default store ({@code local}) holds a snapshot of the topic's data group, and then:
 * <ul>
 * <li>the group's snapshots after the swap land in {@code swapped} as <b>full</b> snapshots: every object a
 * manifest there references exists in {@code swapped} and holds the bytes its key names (length and CRC32), every
 * file's ranges start at byte 0, and every partition of the topic starts at offset 0 (nothing is left behind in
 * {@code local});</li>
 * <li>{@code local} keeps what it held (released, not deleted): its manifests and every object they reference;</li>
 * <li>every record the producer had acknowledged is consumed exactly once at its offset.</li>
 * </ul>
 * Manifests are decoded by the test itself from their documented binary form (docs/snapshots.md, "Inspecting the
 * archive": {@code CHRA} archive blob holding a {@code CHAM} archived snapshot holding a {@code CHSM} manifest), from
 * the raw objects of each store, so both stores are read the same way whichever one the archive uses. The stores are
 * checked once the producer has stopped and the uploads have settled (no snapshot is due without new entries), so
 * that retention cannot delete an object between listing and reading it.
 *
 * <p>The kafka-clients jar of the test class path is exported by the system bundle (as the launcher exports SLF4J),
 * so the probe uses the real clients; the broker bundle embeds its own copy privately and imports none of it.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class SnapshotStoreSwapIT extends ContainerSupport {
    private static final String TOPIC = "store-swap";
    private static final int PARTITIONS = 3;
    /** Entries of a data group between two snapshots: a snapshot every fraction of a second under the producer. */
    private static final int SNAPSHOT_THRESHOLD = 50;

    @Inject
    private ConfigurationAdmin configAdmin;

    @Inject
    private Archive archive;

    @Configuration
    public Option[] config() {
        List<Option> options = new ArrayList<>();
        for (Option o : chronikOptions()) {
            if (!(o instanceof FrameworkPropertyOption f && f.getKey().equals("chronik.snapshot.log.threshold"))) {
                options.add(o);
            }
        }
        options.add(frameworkProperty("chronik.snapshot.log.threshold").value(Integer.toString(SNAPSHOT_THRESHOLD)));
        options.add(systemPackages(kafkaClientsPackages()));
        return options.toArray(new Option[0]);
    }

    @Test
    public void snapshotsMoveToTheNewStoreInFullWhileProducingAndNoAcknowledgedRecordIsLost() throws Exception {
        withKafkaClientsLoader(this::swapUnderAProducer);
    }

    private void swapUnderAProducer() throws Exception {
        long started = System.nanoTime();
        String bootstrap = context.getProperty("chronik.kafka.addr");
        ObjectStore local = store("local");

        // 2. a second local store, created at run time
        Path swappedRoot = dataDir().resolve("swapped-store"); // in the test's temporary data directory
        org.osgi.service.cm.Configuration storeConfig =
                configAdmin.getFactoryConfiguration("io.chronik.storage.local", "swapped", "?");
        Dictionary<String, Object> storeProps = new Hashtable<>();
        storeProps.put("store.name", "swapped");
        storeProps.put("root", swappedRoot.toString());
        storeConfig.update(storeProps);
        await("object store 'swapped' is registered",
                () -> !context.getServiceReferences(ObjectStore.class, "(store.name=swapped)").isEmpty());
        ObjectStore swapped = store("swapped");
        await("the archive writes to the local store", () -> "local".equals(archive.activeStore()));

        String cluster;
        Properties adminProps = new Properties();
        adminProps.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(adminProps)) {
            admin.createTopics(List.of(new NewTopic(TOPIC, PARTITIONS, (short) 1))).all().get();
            cluster = admin.describeCluster().clusterId().get();
        }
        assertNotNull(cluster);

        // 3. a real producer, in the background, recording what was acknowledged
        Map<TopicPartition, ConcurrentSkipListMap<Long, String>> acked = new ConcurrentHashMap<>();
        List<Exception> sendErrors = new CopyOnWriteArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        Properties producerProps = new Properties();
        producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
        producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerProps.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        producerProps.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        producerProps.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        Thread producerThread = new Thread(() -> {
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps)) {
                for (long i = 0; !stop.get(); i++) {
                    String value = "record-" + i + "-" + "x".repeat(200);
                    producer.send(new ProducerRecord<>(TOPIC, (int) (i % PARTITIONS), "k" + i, value), (md, e) -> {
                        if (e != null) {
                            sendErrors.add(e);
                        } else {
                            acked.computeIfAbsent(new TopicPartition(md.topic(), md.partition()),
                                    tp -> new ConcurrentSkipListMap<>()).put(md.offset(), value);
                        }
                    });
                    if (i % 4 == 3) {
                        Thread.sleep(1);
                    }
                }
                producer.flush();
            } catch (Exception e) {
                sendErrors.add(e);
            }
        }, "store-swap-producer");
        producerThread.start();
        try {
            // 4. the default store holds a snapshot of the topic's group; then the archive is retargeted
            int[] group = {-1};
            await("store 'local' holds a data-group manifest of topic " + TOPIC, () -> {
                for (String key : local.list(cluster + "/groups/")) {
                    if (key.contains("/manifests/") && decodeManifest(local, key).topics().contains(TOPIC)) {
                        group[0] = Integer.parseInt(key.split("/")[2]);
                        return true;
                    }
                }
                return false;
            });
            int g = group[0];
            String manifests = cluster + "/groups/" + g + "/manifests/";
            org.osgi.service.cm.Configuration archiveConfig = configAdmin.getConfiguration("io.chronik.archive", "?");
            Dictionary<String, Object> original = archiveConfig.getProperties();
            assertNotNull("io.chronik.archive is configured (conf/config/io.chronik.archive.cfg)", original);
            Dictionary<String, Object> retargeted = new Hashtable<>();
            for (Enumeration<String> keys = original.keys(); keys.hasMoreElements(); ) {
                String k = keys.nextElement();
                retargeted.put(k, original.get(k));
            }
            retargeted.put("store.target", "(store.name=swapped)");
            archiveConfig.update(retargeted);
            await("the archive moved to store 'swapped'", () -> "swapped".equals(archive.activeStore()));
            long swapIndex = newestIndex(local.list(manifests));
            assertTrue(swapIndex > 0);
            long ackedAtSwap = count(acked);

            // 5. the group's next snapshot is uploaded to the new store (checked in full below)
            await("store 'swapped' holds a manifest of group " + g + " newer than index " + swapIndex,
                    () -> newestIndex(swapped.list(manifests)) > swapIndex);
            Thread.sleep(500); // a little more production after the first snapshot in the new store
            long ackedBeforeStop = count(acked);
            assertTrue("records were acknowledged after the swap: " + ackedAtSwap + " then " + ackedBeforeStop,
                    ackedBeforeStop > ackedAtSwap);

            // 6. stop the producer (everything sent is acknowledged or failed when it returns)
            stop.set(true);
            producerThread.join(30_000);
            assertFalse("the producer stopped", producerThread.isAlive());
            assertEquals("failed sends", List.of(), sendErrors);

            // the uploads settle (no snapshot is due without entries), so retention deletes nothing under the checks
            awaitStable(swapped, cluster + "/groups/" + g + "/");
            awaitStable(local, cluster + "/groups/" + g + "/");

            // every manifest in 'swapped' (all written after the swap, the store was empty) is a full snapshot there
            List<String> swappedManifests = swapped.list(manifests);
            assertFalse(swappedManifests.isEmpty());
            for (String key : swappedManifests) {
                Manifest m = decodeManifest(swapped, key);
                assertTrue(key + " is newer than the swap", m.index() > swapIndex);
                assertEquals(g, m.groupNo());
                assertEquals(key + ": every partition of " + TOPIC, PARTITIONS, m.partitionsOf(TOPIC));
                for (Manifest.Partition p : m.partitions()) {
                    if (p.topic().equals(TOPIC)) {
                        assertEquals(key + " " + p.dirName() + " starts at offset 0", 0, p.logStartOffset());
                        assertTrue(key + " " + p.dirName() + " holds records", p.logEndOffset() > 0);
                    }
                }
                checkObjects(swapped, "swapped", key, m);
            }
            // the new store holds nothing but these snapshots' objects (retention)
            Set<String> referenced = new HashSet<>();
            for (String key : swappedManifests) {
                referenced.addAll(decodeManifest(swapped, key).keys());
            }
            assertEquals(new TreeSet<>(referenced), new TreeSet<>(swapped.list(cluster + "/groups/" + g + "/files/")));

            // the old store was released, not emptied: its manifests and everything they reference are still there
            List<String> localManifests = local.list(manifests);
            assertFalse(localManifests.isEmpty());
            assertTrue("store 'local' keeps its manifests", newestIndex(localManifests) >= swapIndex);
            for (String key : localManifests) {
                checkObjects(local, "local", key, decodeManifest(local, key));
            }

            // every acknowledged record is there exactly once, at its offset
            consumeAndCheck(bootstrap, acked);
        } finally {
            stop.set(true);
            producerThread.join(30_000);
            Dictionary<String, Object> back = configAdmin.getConfiguration("io.chronik.archive", "?").getProperties();
            back.put("store.target", "(store.name=local)");
            configAdmin.getConfiguration("io.chronik.archive", "?").update(back);
        }
        System.out.printf(Locale.ROOT, "SnapshotStoreSwapIT: %d records acknowledged, %.1f s%n", count(acked),
                (System.nanoTime() - started) / 1e9);
    }

    private void consumeAndCheck(String bootstrap, Map<TopicPartition, ConcurrentSkipListMap<Long, String>> acked) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        List<TopicPartition> tps = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++) {
            tps.add(new TopicPartition(TOPIC, p));
        }
        Map<TopicPartition, TreeMap<Long, String>> consumed = new HashMap<>();
        Map<String, Integer> seen = new HashMap<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            Map<TopicPartition, Long> end = consumer.endOffsets(tps);
            long deadline = System.currentTimeMillis() + 30_000;
            while (tps.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                if (System.currentTimeMillis() > deadline) {
                    fail("consumed up to " + tps.stream().map(consumer::position).toList() + ", end offsets " + end);
                }
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    consumed.computeIfAbsent(new TopicPartition(r.topic(), r.partition()), tp -> new TreeMap<>())
                            .put(r.offset(), r.value());
                    seen.merge(r.value(), 1, Integer::sum);
                }
            }
        }
        long checked = 0;
        for (Map.Entry<TopicPartition, ConcurrentSkipListMap<Long, String>> e : acked.entrySet()) {
            TreeMap<Long, String> got = consumed.getOrDefault(e.getKey(), new TreeMap<>());
            for (Map.Entry<Long, String> r : e.getValue().entrySet()) {
                String where = e.getKey() + "@" + r.getKey();
                assertEquals(where, r.getValue(), got.get(r.getKey()));
                assertEquals(where + " is there once", 1, (int) seen.get(r.getValue()));
                checked++;
            }
        }
        assertTrue("records acknowledged", checked > 0);
    }

    private static long count(Map<TopicPartition, ConcurrentSkipListMap<Long, String>> acked) {
        return acked.values().stream().mapToLong(Map::size).sum();
    }

    private ObjectStore store(String name) throws Exception {
        await("object store '" + name + "' is registered",
                () -> !context.getServiceReferences(ObjectStore.class, "(store.name=" + name + ")").isEmpty());
        ServiceReference<ObjectStore> ref =
                context.getServiceReferences(ObjectStore.class, "(store.name=" + name + ")").iterator().next();
        return context.getService(ref);
    }

    private static long newestIndex(List<String> manifestKeys) {
        long newest = -1;
        for (String k : manifestKeys) {
            String n = k.substring(k.lastIndexOf('/') + 1);
            if (n.endsWith(".manifest")) {
                newest = Math.max(newest, Long.parseLong(n.substring(0, n.length() - ".manifest".length())));
            }
        }
        return newest;
    }

    /** Waits until the keys under {@code prefix} stay the same for a second. */
    private static void awaitStable(ObjectStore store, String prefix) throws Exception {
        List<String> last = store.list(prefix);
        long deadline = System.currentTimeMillis() + 15_000;
        while (System.currentTimeMillis() < deadline) {
            Thread.sleep(1000);
            List<String> now = store.list(prefix);
            if (now.equals(last)) {
                return;
            }
            last = now;
        }
        fail("objects under " + prefix + " kept changing");
    }

    /**
     * Every object {@code m} references exists in {@code store} and holds the range its key names: its length is
     * {@code to - from} and its CRC32 the one in the key; the files' ranges are chains from byte 0 to the file's size.
     */
    private void checkObjects(ObjectStore store, String storeName, String manifestKey, Manifest m) throws Exception {
        Set<String> present = new HashSet<>(store.list(m.cluster() + "/groups/" + m.groupNo() + "/files/"));
        for (Manifest.Partition p : m.partitions()) {
            for (Manifest.FileRanges f : p.files()) {
                long at = 0;
                for (long[] r : f.ranges()) {
                    String key = m.rangeKey(p, f, r);
                    assertEquals(manifestKey + ": " + key + " follows the previous range", at, r[0]);
                    assertTrue(manifestKey + ": " + key + " is in store '" + storeName + "'", present.contains(key));
                    byte[] bytes = readBlob(store, key);
                    assertEquals(key + " length", r[1] - r[0], bytes.length);
                    CRC32 crc = new CRC32();
                    crc.update(bytes);
                    assertEquals(key + " CRC32", (int) r[2], (int) crc.getValue());
                    at = r[1];
                }
                assertEquals(manifestKey + ": " + p.dirName() + "/" + f.name() + " is covered", f.size(), at);
            }
        }
    }

    /** The uncompressed bytes of an archive blob (docs/snapshots.md: CHRA, version, codec, chunks, length, CRC32). */
    private byte[] readBlob(ObjectStore store, String key) throws Exception {
        byte[] raw;
        try (InputStream in = store.get(key)) {
            raw = in.readAllBytes();
        }
        ByteBuffer b = ByteBuffer.wrap(raw);
        byte[] magic = new byte[4];
        b.get(magic);
        assertEquals(key + " is an archive blob", "CHRA", new String(magic, StandardCharsets.US_ASCII));
        b.get(); // format version
        byte[] codecName = new byte[b.get()];
        b.get(codecName);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (int n = b.getInt(); n != 0; n = b.getInt()) {
            body.write(raw, b.position(), n);
            b.position(b.position() + n);
        }
        long length = b.getLong();
        int crc = b.getInt();
        String codec = new String(codecName, StandardCharsets.US_ASCII);
        ServiceReference<CompressionCodec> ref = context.getServiceReferences(CompressionCodec.class,
                "(" + CompressionCodec.CODEC_NAME + "=" + codec + ")").iterator().next();
        byte[] data;
        try (InputStream in = context.getService(ref).decompress(new ByteArrayInputStream(body.toByteArray()))) {
            data = in.readAllBytes();
        } finally {
            context.ungetService(ref);
        }
        assertEquals(key + " uncompressed length", length, data.length);
        CRC32 c = new CRC32();
        c.update(data);
        assertEquals(key + " blob CRC32", crc, (int) c.getValue());
        return data;
    }

    private Manifest decodeManifest(ObjectStore store, String key) throws Exception {
        String cluster = key.substring(0, key.indexOf("/groups/"));
        return Manifest.decode(cluster, readBlob(store, key), key);
    }

    /**
     * An archived data-group snapshot (bundles/raft {@code ArchivedSnapshot}, format 1, around a
     * {@code SnapshotManifest}, format 1), decoded from its documented binary form.
     */
    record Manifest(String cluster, int groupNo, long index, List<Partition> partitions) {
        record FileRanges(String name, long size, boolean segment, List<long[]> ranges) {
        }

        record Partition(UUID topicId, String topic, int partition, String dirName, long logStartOffset,
                         long logEndOffset, List<FileRanges> files) {
        }

        Set<String> topics() {
            Set<String> t = new TreeSet<>();
            partitions.forEach(p -> t.add(p.topic()));
            return t;
        }

        int partitionsOf(String topic) {
            return (int) partitions.stream().filter(p -> p.topic().equals(topic)).count();
        }

        String rangeKey(Partition p, FileRanges f, long[] r) {
            return cluster + "/groups/" + groupNo + "/files/" + p.topicId() + "-" + p.partition() + "/" + f.name() + "/"
                    + String.format(Locale.ROOT, "%020d-%020d-%08x", r[0], r[1], (int) r[2]);
        }

        Set<String> keys() {
            Set<String> keys = new HashSet<>();
            for (Partition p : partitions) {
                for (FileRanges f : p.files()) {
                    for (long[] r : f.ranges()) {
                        keys.add(rangeKey(p, f, r));
                    }
                }
            }
            return keys;
        }

        static Manifest decode(String cluster, byte[] data, String source) throws IOException {
            checkCrc(data, source);
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(data, 0, data.length - 4));
            expect(in.readInt(), 0x4348414D, source + ": CHAM magic");
            expect(in.readInt(), 1, source + ": archived snapshot format");
            byte[] sm = new byte[in.readInt()];
            in.readFully(sm);
            checkCrc(sm, source + " (manifest)");
            DataInputStream m = new DataInputStream(new ByteArrayInputStream(sm, 0, sm.length - 4));
            expect(m.readInt(), 0x4348534D, source + ": CHSM magic");
            expect(m.readInt(), 1, source + ": manifest format");
            int groupNo = m.readInt();
            m.readLong(); // term
            long index = m.readLong();
            int n = m.readInt();
            List<Partition> partitions = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                UUID topicId = new UUID(m.readLong(), m.readLong());
                String topic = m.readUTF();
                int partition = m.readInt();
                String dirName = m.readUTF();
                m.readBoolean(); // staging
                long start = m.readLong();
                long end = m.readLong();
                int files = m.readInt();
                List<FileRanges> list = new ArrayList<>();
                for (int j = 0; j < files; j++) {
                    list.add(new FileRanges(m.readUTF(), m.readLong(), m.readBoolean(), new ArrayList<>()));
                }
                partitions.add(new Partition(topicId, topic, partition, dirName, start, end, list));
            }
            for (Partition p : partitions) {
                for (FileRanges f : p.files()) {
                    int ranges = in.readInt();
                    for (int k = 0; k < ranges; k++) {
                        f.ranges().add(new long[] {in.readLong(), in.readLong(), in.readInt()});
                    }
                }
            }
            if (in.available() != 0) {
                throw new IOException(source + ": " + in.available() + " bytes after the ranges");
            }
            return new Manifest(cluster, groupNo, index, Collections.unmodifiableList(partitions));
        }

        private static void checkCrc(byte[] data, String source) throws IOException {
            CRC32 crc = new CRC32();
            crc.update(data, 0, data.length - 4);
            expect(ByteBuffer.wrap(data, data.length - 4, 4).getInt(), (int) crc.getValue(), source + ": CRC32");
        }

        private static void expect(int actual, int expected, String what) throws IOException {
            if (actual != expected) {
                throw new IOException(what + " is " + Integer.toHexString(actual) + ", expected "
                        + Integer.toHexString(expected));
            }
        }
    }
}
