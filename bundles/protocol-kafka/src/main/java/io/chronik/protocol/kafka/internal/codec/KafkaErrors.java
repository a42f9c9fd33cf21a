package io.chronik.protocol.kafka.internal.codec;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.consensus.ConsensusException;

/** Maps consensus failures to Kafka error codes. */
public final class KafkaErrors {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaErrors.class);

    /** In which kind of request a failure happened; a few reasons map differently per context. */
    public enum Context {
        /** Produce: unavailability means too few replicas, fencing is reported as INVALID_PRODUCER_EPOCH. */
        PRODUCE,
        /** Reads and partition operations. */
        PARTITION,
        /** Metadata writes (CreateTopics, DeleteTopics, configs): a missing metadata leader is NOT_CONTROLLER. */
        ADMIN
    }

    private KafkaErrors() {
    }

    /**
     * The failure inside the {@link CompletionException}s and {@link ExecutionException}s that futures wrap around it:
     * the one place in this bundle that unwraps them. Returns {@code t} itself if it is not such a wrapper (or has no
     * cause); {@code null} stays {@code null}.
     */
    public static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    public static Errors of(Throwable failure, Context context) {
        Throwable t = unwrap(failure);
        if (t instanceof ConsensusException ce) {
            return of(ce.reason(), context);
        }
        if (t instanceof java.util.concurrent.TimeoutException) {
            return Errors.REQUEST_TIMED_OUT;
        }
        LOG.warn("unexpected failure from the consensus provider", t);
        return Errors.UNKNOWN_SERVER_ERROR;
    }

    public static Errors of(ConsensusException.Reason reason, Context context) {
        switch (reason) {
            case NOT_LEADER:
                return context == Context.ADMIN ? Errors.NOT_CONTROLLER : Errors.NOT_LEADER_OR_FOLLOWER;
            case NOT_AVAILABLE:
                switch (context) {
                    case PRODUCE:
                        return Errors.NOT_ENOUGH_REPLICAS;
                    case ADMIN:
                        return Errors.NOT_CONTROLLER;
                    default:
                        return Errors.LEADER_NOT_AVAILABLE;
                }
            case TIMEOUT:
                return Errors.REQUEST_TIMED_OUT;
            case UNKNOWN_TOPIC:
            case UNKNOWN_PARTITION:
                return Errors.UNKNOWN_TOPIC_OR_PARTITION;
            case TOPIC_EXISTS:
                return Errors.TOPIC_ALREADY_EXISTS;
            case INVALID_TOPIC:
                return Errors.INVALID_TOPIC_EXCEPTION;
            case INVALID_PARTITIONS:
                return Errors.INVALID_PARTITIONS;
            case INVALID_REPLICATION_FACTOR:
                return Errors.INVALID_REPLICATION_FACTOR;
            case INVALID_REQUEST:
                return Errors.INVALID_REQUEST;
            case INVALID_CONFIG:
                return Errors.INVALID_CONFIG;
            case INVALID_TIMESTAMP:
                return Errors.INVALID_TIMESTAMP;
            case OFFSET_OUT_OF_RANGE:
                return Errors.OFFSET_OUT_OF_RANGE;
            case CORRUPT_RECORD:
                return Errors.CORRUPT_MESSAGE;
            case RECORD_TOO_LARGE:
                return Errors.MESSAGE_TOO_LARGE;
            case DUPLICATE_SEQUENCE:
                return Errors.DUPLICATE_SEQUENCE_NUMBER;
            case OUT_OF_ORDER_SEQUENCE:
                return Errors.OUT_OF_ORDER_SEQUENCE_NUMBER;
            case INVALID_PRODUCER_EPOCH:
                return Errors.INVALID_PRODUCER_EPOCH;
            case PRODUCER_FENCED:
                // Kafka reports a fenced idempotent producer's batch as INVALID_PRODUCER_EPOCH in Produce
                return context == Context.PRODUCE ? Errors.INVALID_PRODUCER_EPOCH : Errors.PRODUCER_FENCED;
            case STORAGE:
                return Errors.KAFKA_STORAGE_ERROR;
            case INVALID_REPLICA_ASSIGNMENT:
                return Errors.INVALID_REPLICA_ASSIGNMENT;
            case NO_REASSIGNMENT_IN_PROGRESS:
                return Errors.NO_REASSIGNMENT_IN_PROGRESS;
            default:
                return Errors.UNKNOWN_SERVER_ERROR;
        }
    }

    /** The message to report with an error, if the failure carries one. */
    public static String message(Throwable failure) {
        Throwable t = unwrap(failure);
        return t == null ? null : t.getMessage();
    }
}
