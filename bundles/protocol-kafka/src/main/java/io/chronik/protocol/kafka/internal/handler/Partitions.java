package io.chronik.protocol.kafka.internal.handler;

import java.util.Optional;

import org.apache.kafka.common.protocol.Errors;

import io.chronik.api.consensus.PartitionLog;
import io.chronik.api.consensus.PartitionLogs;
import io.chronik.api.consensus.TopicInfo;

/** Finding a partition's local log and checking leadership and leader epochs, as every partition API does. */
final class Partitions {

    /** A partition's log, or why it cannot be served here. */
    record Resolved(PartitionLog log, Errors error) {
        boolean ok() {
            return error == Errors.NONE;
        }
    }

    private Partitions() {
    }

    static Resolved resolve(PartitionLogs logs, TopicInfo topic, int partition, boolean requireLeader) {
        if (topic == null || partition < 0 || partition >= topic.partitions().size()) {
            return new Resolved(null, Errors.UNKNOWN_TOPIC_OR_PARTITION);
        }
        if (logs == null) {
            return new Resolved(null, Errors.NOT_LEADER_OR_FOLLOWER);
        }
        Optional<PartitionLog> log = logs.log(topic.name(), partition);
        if (log.isEmpty() || (requireLeader && !log.get().isLeader())) {
            return new Resolved(null, Errors.NOT_LEADER_OR_FOLLOWER);
        }
        return new Resolved(log.get(), Errors.NONE);
    }

    /** Kafka's current-leader-epoch check: -1 skips it, a newer epoch than ours is unknown, an older one fenced. */
    static Errors checkEpoch(int requested, PartitionLog log) {
        if (requested < 0) {
            return Errors.NONE;
        }
        int current = log.leaderEpoch();
        if (requested > current) {
            return Errors.UNKNOWN_LEADER_EPOCH;
        }
        if (requested < current) {
            return Errors.FENCED_LEADER_EPOCH;
        }
        return Errors.NONE;
    }
}
