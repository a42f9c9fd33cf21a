package io.chronik.protocol.kafka.internal.handler;

import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;

import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.DescribeClusterRequestData;
import org.apache.kafka.common.message.DescribeClusterResponseData;
import org.apache.kafka.common.message.DescribeClusterResponseData.DescribeClusterBroker;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.consensus.BrokerInfo;
import io.chronik.api.consensus.ClusterMetadata;
import io.chronik.protocol.kafka.internal.codec.ApiVersionTable;
import io.chronik.protocol.kafka.internal.codec.KafkaErrors;
import io.chronik.protocol.kafka.internal.codec.KafkaRequest;
import io.chronik.protocol.kafka.internal.codec.Outcome;

/** ApiVersions, DescribeCluster and InitProducerId. */
final class ClusterHandler {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterHandler.class);
    /** Kafka's rule for ApiVersions v3+ client software names and versions. */
    private static final Pattern SOFTWARE = Pattern.compile("[a-zA-Z0-9](?:[a-zA-Z0-9\\-.]*[a-zA-Z0-9])?");
    private static final byte ENDPOINT_BROKER = 1;

    private final Broker broker;

    ClusterHandler(Broker broker) {
        this.broker = broker;
    }

    Outcome apiVersions(KafkaRequest req) {
        ApiVersionsRequestData data = req.body();
        if (req.version() >= 3 && !(SOFTWARE.matcher(data.clientSoftwareName()).matches()
                && SOFTWARE.matcher(data.clientSoftwareVersion()).matches())) {
            return req.respond(new ApiVersionsResponseData().setErrorCode(Errors.INVALID_REQUEST.code()));
        }
        return req.respond(ApiVersionTable.response(Errors.NONE));
    }

    Outcome describeCluster(KafkaRequest req) {
        DescribeClusterRequestData data = req.body();
        DescribeClusterResponseData resp = new DescribeClusterResponseData().setThrottleTimeMs(0)
                .setEndpointType(data.endpointType());
        if (req.version() >= 1 && data.endpointType() != ENDPOINT_BROKER) {
            return req.respond(resp.setErrorCode(Errors.UNSUPPORTED_ENDPOINT_TYPE.code())
                    .setErrorMessage("this broker only serves broker endpoints"));
        }
        ClusterMetadata md = broker.metadata();
        if (md == null) {
            return req.respond(resp.setErrorCode(Errors.NOT_CONTROLLER.code()).setClusterId("")
                    .setErrorMessage("the cluster metadata is not available right now"));
        }
        resp.setErrorCode(Errors.NONE.code()).setClusterId(md.clusterId()).setControllerId(md.controllerId());
        // as Kafka: fenced brokers only when asked for them (v2 includeFencedBrokers), then flagged
        boolean withFenced = req.version() >= 2 && data.includeFencedBrokers();
        for (BrokerInfo b : md.brokers()) {
            if (b.fenced() && !withFenced) {
                continue;
            }
            resp.brokers().add(new DescribeClusterBroker().setBrokerId(b.nodeId()).setHost(b.host()).setPort(b.port())
                    .setRack(b.rack()).setIsFenced(b.fenced()));
        }
        return req.respond(resp);
    }

    /**
     * Idempotent producers get a new producer id with epoch 0 (as Kafka does for a request without a
     * transactional id, also when it carries the producer's current id and epoch). Transactions are not
     * supported: a transactional id is answered with INVALID_REQUEST, which both the Java client and librdkafka
     * treat as a fatal, non-retriable error (a transactional producer never gets here in practice: its
     * FindCoordinator(TRANSACTION) request is answered with COORDINATOR_NOT_AVAILABLE first).
     */
    CompletableFuture<Outcome> initProducerId(KafkaRequest req) {
        InitProducerIdRequestData data = req.body();
        InitProducerIdResponseData resp = new InitProducerIdResponseData().setThrottleTimeMs(0).setProducerId(-1)
                .setProducerEpoch((short) -1);
        if (data.transactionalId() != null) {
            LOG.info("refusing InitProducerId for transactional id '{}' from {}: transactions are not supported",
                    data.transactionalId(), req.clientId());
            return CompletableFuture.completedFuture(req.respond(resp.setErrorCode(Errors.INVALID_REQUEST.code())));
        }
        ClusterMetadata md = broker.metadata();
        if (md == null) {
            return CompletableFuture.completedFuture(req.respond(resp.setErrorCode(Errors.COORDINATOR_NOT_AVAILABLE.code())));
        }
        CompletableFuture<Outcome> outcome = new CompletableFuture<>();
        Futures.handle(md.allocateProducerId(), (id, failure) -> {
            if (failure == null) {
                resp.setErrorCode(Errors.NONE.code()).setProducerId(id).setProducerEpoch((short) 0);
            } else {
                Errors error = KafkaErrors.of(failure, KafkaErrors.Context.ADMIN);
                // retriable for the clients while the metadata group has no leader
                resp.setErrorCode((error == Errors.NOT_CONTROLLER || error == Errors.REQUEST_TIMED_OUT)
                        ? Errors.COORDINATOR_NOT_AVAILABLE.code() : error.code());
            }
            outcome.complete(req.respond(resp));
        });
        return outcome;
    }
}
