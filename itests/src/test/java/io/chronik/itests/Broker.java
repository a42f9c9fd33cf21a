package io.chronik.itests;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A single-node Chronik broker run as {@code bin/chronik start} from a copy of the distribution, on free loopback
 * ports, with its own data directory; it can be stopped (SIGTERM), killed (SIGKILL) and started again on the same
 * data directory.
 */
final class Broker implements AutoCloseable {
    final Path home;
    final Path dataDir;
    final int kafkaPort = ContainerSupport.freePort();
    final int raftPort = ContainerSupport.freePort();
    final int metricsPort = ContainerSupport.freePort();
    private ChronikProcess process;

    private Broker(Path home, Path dataDir) {
        this.home = home;
        this.dataDir = dataDir;
    }

    static Broker start(Path home) throws IOException, InterruptedException {
        Broker b = new Broker(home, Files.createTempDirectory("chronik-broker"));
        b.start();
        return b;
    }

    void start() throws IOException, InterruptedException {
        process = ChronikProcess.run(home, "start", "--data-dir", dataDir.toString(),
                "--kafka-addr", "127.0.0.1:" + kafkaPort, "--advertised-addr", "127.0.0.1:" + kafkaPort,
                "--raft-addr", "127.0.0.1:" + raftPort, "--metrics-addr", "127.0.0.1:" + metricsPort);
        process.awaitLine("started in", 60_000);
    }

    /** SIGTERM and wait for the process to end. */
    void stop() throws IOException, InterruptedException {
        process.terminate();
        if (!process.process.waitFor(60, TimeUnit.SECONDS)) {
            throw new AssertionError("broker did not stop: " + process.output());
        }
    }

    /** SIGKILL: no shutdown hook, nothing flushed by the broker. */
    void kill() throws InterruptedException {
        process.process.destroyForcibly().waitFor();
    }

    String output() {
        return process.output();
    }

    String bootstrap() {
        return "127.0.0.1:" + kafkaPort;
    }

    Properties producerConfig() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        // fail a test in seconds, not minutes per record, when metadata never arrives
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "20000");
        return p;
    }

    Properties consumerConfig() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        return p;
    }

    Properties adminConfig() {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        return p;
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null) {
            process.close();
        }
    }
}
