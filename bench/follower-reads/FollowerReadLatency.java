import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Read-your-writes latency: one record at a time is produced with acks=all; as soon as its acknowledgement arrives,
 * the consumer (assigned the partition, with {@code client.rack} set or not) polls until that record is returned.
 * The figure is the time from the acknowledgement to the poll that returns the record. With a rack naming a
 * follower's rack, every fetch at the end of the log makes the follower run a ReadIndex round first.
 *
 * <pre>java -cp "$HOME/.cache/kafka-baseline/lib/*" FollowerReadLatency.java BOOTSTRAP TOPIC PARTITION COUNT RACK|-</pre>
 *
 * Prints p50/p90/p99/max in milliseconds and the bytes the consumer received from each broker (its
 * {@code consumer-node-metrics} {@code incoming-byte-total}), which shows where it fetched from.
 */
public final class FollowerReadLatency {
    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        String topic = args[1];
        int partition = Integer.parseInt(args[2]);
        int count = Integer.parseInt(args[3]);
        String rack = args[4];
        int warmup = Math.max(50, count / 20);

        Properties pp = new Properties();
        pp.put("bootstrap.servers", bootstrap);
        pp.put("acks", "all");
        pp.put("linger.ms", "0");
        pp.put("key.serializer", ByteArraySerializer.class.getName());
        pp.put("value.serializer", ByteArraySerializer.class.getName());
        Properties cp = new Properties();
        cp.put("bootstrap.servers", bootstrap);
        cp.put("enable.auto.commit", "false");
        cp.put("fetch.max.wait.ms", "500");
        cp.put("key.deserializer", ByteArrayDeserializer.class.getName());
        cp.put("value.deserializer", ByteArrayDeserializer.class.getName());
        if (!rack.equals("-")) {
            cp.put("client.rack", rack);
        }
        TopicPartition tp = new TopicPartition(topic, partition);
        long[] nanos = new long[count];
        int misses = 0;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(pp);
             KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(cp)) {
            consumer.assign(List.of(tp));
            consumer.seekToEnd(List.of(tp));
            consumer.position(tp);
            byte[] value = new byte[100];
            for (int i = -warmup; i < count; i++) {
                RecordMetadata md = producer.send(new ProducerRecord<>(topic, partition, null, value)).get();
                long acked = System.nanoTime();
                long returned = -1;
                long deadline = acked + Duration.ofSeconds(10).toNanos();
                while (returned < 0 && System.nanoTime() < deadline) {
                    ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
                    for (ConsumerRecord<byte[], byte[]> r : records) {
                        if (r.offset() == md.offset()) {
                            returned = System.nanoTime();
                        }
                    }
                }
                if (returned < 0) {
                    misses++;
                    consumer.seek(tp, md.offset() + 1);
                } else if (i >= 0) {
                    nanos[i] = returned - acked;
                }
            }
            System.out.printf("rack=%s records=%d misses=%d%n", rack, count, misses);
            long[] sorted = nanos.clone();
            Arrays.sort(sorted);
            System.out.printf("ack_to_fetch_ms p50=%.2f p90=%.2f p99=%.2f max=%.2f%n", ms(sorted, 0.50),
                    ms(sorted, 0.90), ms(sorted, 0.99), sorted[count - 1] / 1e6);
            for (Map.Entry<MetricName, ? extends Metric> m : consumer.metrics().entrySet()) {
                MetricName n = m.getKey();
                if (n.group().equals("consumer-node-metrics") && n.name().equals("incoming-byte-total")
                        && !n.tags().get("node-id").startsWith("node--")) {
                    System.out.printf("received_bytes %s %.0f%n", n.tags().get("node-id"),
                            (Double) m.getValue().metricValue());
                }
            }
        }
    }

    private static double ms(long[] sorted, double q) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)] / 1e6;
    }
}
