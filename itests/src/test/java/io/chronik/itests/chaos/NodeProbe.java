package io.chronik.itests.chaos;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntUnaryOperator;

import org.apache.kafka.common.message.ProduceResponseData;

import io.chronik.itests.jvm.RawKafka;

/**
 * Writes one record at a time to one partition on <em>each</em> node separately (a Produce, {@code acks=-1}, straight to
 * that node's Kafka port, as a client with stale metadata would), so that the {@link History} knows which node
 * acknowledged every acknowledged write: the checker then finds whether two nodes acknowledged writes in one leader
 * epoch (split brain). A node that is not the leader refuses (NOT_LEADER_OR_FOLLOWER); that and timeouts are recorded
 * as failed (outcome unknown). One thread per probe; stops on {@link #close}.
 */
final class NodeProbe implements AutoCloseable {
    private final Thread thread;
    private final AtomicLong acked = new AtomicLong();
    private volatile boolean running = true;

    /**
     * @param port    node id → the port to send that node's probes to (its Kafka proxy)
     * @param nodes   the nodes to probe, in turn
     * @param everyMs pause between two rounds
     */
    NodeProbe(String name, String topic, int partition, List<Integer> nodes, IntUnaryOperator port, long everyMs,
            History history) {
        thread = new Thread(() -> {
            for (long seq = 0; running; seq++) {
                for (int node : nodes) {
                    String id = name + "-n" + node + "-" + seq;
                    history.attempt(id);
                    try {
                        ProduceResponseData.PartitionProduceResponse r = RawKafka.only(
                                RawKafka.produce(port.applyAsInt(node), topic, partition, 3_000, id));
                        if (r.errorCode() == 0) {
                            history.ack(id, partition, r.baseOffset(), node);
                            acked.incrementAndGet();
                        } else {
                            history.fail(id, new IllegalStateException("error code " + r.errorCode()));
                        }
                    } catch (Exception | AssertionError e) {
                        history.fail(id, e);
                    }
                }
                try {
                    Thread.sleep(everyMs);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "chaos-probe-" + name);
        thread.setDaemon(true);
        thread.start();
    }

    long acked() {
        return acked.get();
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(30_000);
    }
}
