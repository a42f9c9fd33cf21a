package io.chronik.itests;

import java.time.Instant;
import java.util.List;

import org.apache.kafka.common.TopicPartition;

/**
 * What the process tests of transport swaps read from a node's log and from a {@link LoadProducer}: the consensus
 * component logs {@code node N: stopping the Raft server ...}, then {@code node N: Raft server on transport 'T' of bundle
 * ... of <revision time>} once the new server started, then {@code node N ready: ...} once the node serves Kafka again
 * (see RaftComponent). Log lines start with their ISO-8601 UTC time.
 */
final class TransportSwaps {
    private TransportSwaps() {
    }

    /** One restart of a node's Raft server, as its log shows it. */
    record Restart(int node, String transport, Instant stopping, Instant started, Instant ready, Instant bundleRevision,
            String startedLine) {
        /** From the stop of the old server to the start of the new one. */
        long raftDownMs() {
            return started.toEpochMilli() - stopping.toEpochMilli();
        }

        /** From the stop of the old server until the node served Kafka again. */
        long readyMs() {
            return ready.toEpochMilli() - stopping.toEpochMilli();
        }
    }

    /**
     * Waits (each step at most 60 s) until node {@code id}'s output, from line {@code from} on, shows its Raft server
     * stopping and starting again on {@code transport}, and the node ready; with {@code TRANSPORT_SWAP_TRACE} set in the
     * environment the lines in between are printed.
     */
    static Restart awaitRestart(ChronikProcess node, int from, int id, String transport) throws InterruptedException {
        int stopping = node.awaitLineAfter(from, "node " + id + ": stopping the Raft server", 60_000);
        int started = node.awaitLineAfter(stopping, "node " + id + ": Raft server on transport '" + transport + "'", 60_000);
        int ready = node.awaitLineAfter(started, "node " + id + " ready", 60_000);
        if (System.getenv("TRANSPORT_SWAP_TRACE") != null) {
            for (int i = from; i <= ready; i++) {
                System.out.println("node " + id + "| " + node.line(i));
            }
        }
        String startedLine = node.line(started);
        Instant revision = Instant.parse(startedLine.substring(startedLine.lastIndexOf(" of ") + 4).trim());
        return new Restart(id, transport, timeOf(node.line(stopping)), timeOf(startedLine), timeOf(node.line(ready)),
                revision, startedLine);
    }

    static Instant timeOf(String logLine) {
        return Instant.parse(logLine.substring(0, logLine.indexOf(' ')));
    }

    /**
     * The longest time without an acknowledgement on any one of {@code partitions} within [{@code from}, {@code to}]
     * (epoch ms): how long writes to it waited. Meaningful while the load writes each partition several times a second.
     */
    static long longestGap(LoadProducer load, List<TopicPartition> partitions, long from, long to) {
        long longest = 0;
        List<LoadProducer.Ack> acks = load.acks();
        for (TopicPartition tp : partitions) {
            List<Long> times = acks.stream().filter(a -> a.partition().equals(tp)).map(LoadProducer.Ack::atMillis)
                    .filter(t -> t >= from && t <= to).sorted().toList();
            long previous = from;
            for (long t : times) {
                longest = Math.max(longest, t - previous);
                previous = t;
            }
            longest = Math.max(longest, to - previous);
        }
        return longest;
    }
}
