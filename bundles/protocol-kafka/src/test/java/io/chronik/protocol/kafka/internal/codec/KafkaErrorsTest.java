package io.chronik.protocol.kafka.internal.codec;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;

import java.util.concurrent.CompletionException;

import org.apache.kafka.common.protocol.Errors;
import org.junit.Test;

import io.chronik.api.consensus.ConsensusException;
import io.chronik.api.consensus.ConsensusException.Reason;

public class KafkaErrorsTest {

    @Test
    public void everyReasonHasAKafkaError() {
        for (Reason r : Reason.values()) {
            for (KafkaErrors.Context c : KafkaErrors.Context.values()) {
                assertNotEquals(r + " in " + c, Errors.UNKNOWN_SERVER_ERROR, KafkaErrors.of(r, c));
            }
        }
    }

    @Test
    public void produceMappings() {
        KafkaErrors.Context p = KafkaErrors.Context.PRODUCE;
        assertEquals(Errors.NOT_LEADER_OR_FOLLOWER, KafkaErrors.of(Reason.NOT_LEADER, p));
        assertEquals(Errors.CORRUPT_MESSAGE, KafkaErrors.of(Reason.CORRUPT_RECORD, p));
        assertEquals(Errors.MESSAGE_TOO_LARGE, KafkaErrors.of(Reason.RECORD_TOO_LARGE, p));
        assertEquals(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER, KafkaErrors.of(Reason.OUT_OF_ORDER_SEQUENCE, p));
        assertEquals(Errors.INVALID_PRODUCER_EPOCH, KafkaErrors.of(Reason.INVALID_PRODUCER_EPOCH, p));
        assertEquals(Errors.INVALID_PRODUCER_EPOCH, KafkaErrors.of(Reason.PRODUCER_FENCED, p));
        assertEquals(Errors.DUPLICATE_SEQUENCE_NUMBER, KafkaErrors.of(Reason.DUPLICATE_SEQUENCE, p));
        assertEquals(Errors.REQUEST_TIMED_OUT, KafkaErrors.of(Reason.TIMEOUT, p));
        assertEquals(Errors.NOT_ENOUGH_REPLICAS, KafkaErrors.of(Reason.NOT_AVAILABLE, p));
        assertEquals(Errors.INVALID_TIMESTAMP, KafkaErrors.of(Reason.INVALID_TIMESTAMP, p));
        assertEquals(Errors.KAFKA_STORAGE_ERROR, KafkaErrors.of(Reason.STORAGE, p));
        assertEquals(Errors.UNKNOWN_TOPIC_OR_PARTITION, KafkaErrors.of(Reason.UNKNOWN_PARTITION, p));
    }

    @Test
    public void contextSpecificMappingsAndUnwrapping() {
        assertEquals(Errors.LEADER_NOT_AVAILABLE, KafkaErrors.of(Reason.NOT_AVAILABLE, KafkaErrors.Context.PARTITION));
        assertEquals(Errors.NOT_CONTROLLER, KafkaErrors.of(Reason.NOT_AVAILABLE, KafkaErrors.Context.ADMIN));
        assertEquals(Errors.PRODUCER_FENCED, KafkaErrors.of(Reason.PRODUCER_FENCED, KafkaErrors.Context.ADMIN));
        assertEquals(Errors.NO_REASSIGNMENT_IN_PROGRESS,
                KafkaErrors.of(Reason.NO_REASSIGNMENT_IN_PROGRESS, KafkaErrors.Context.ADMIN));
        assertEquals(Errors.INVALID_REPLICA_ASSIGNMENT,
                KafkaErrors.of(Reason.INVALID_REPLICA_ASSIGNMENT, KafkaErrors.Context.ADMIN));
        assertEquals(Errors.UNKNOWN_TOPIC_OR_PARTITION, KafkaErrors.of(Reason.UNKNOWN_TOPIC, KafkaErrors.Context.ADMIN));
        Throwable wrapped = new CompletionException(new ConsensusException(Reason.TOPIC_EXISTS, "exists"));
        assertEquals(Errors.TOPIC_ALREADY_EXISTS, KafkaErrors.of(wrapped, KafkaErrors.Context.ADMIN));
        assertEquals("exists", KafkaErrors.message(wrapped));
        assertEquals(Errors.UNKNOWN_SERVER_ERROR, KafkaErrors.of(new IllegalStateException("boom"), KafkaErrors.Context.ADMIN));
    }
}
