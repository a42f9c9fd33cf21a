package io.chronik.protocol.kafka.internal.handler;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceRequestData.PartitionProduceData;
import org.apache.kafka.common.message.ProduceRequestData.TopicProduceData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.message.ProduceResponseData.LeaderIdAndEpoch;
import org.apache.kafka.common.message.ProduceResponseData.NodeEndpoint;
import org.apache.kafka.common.message.ProduceResponseData.PartitionProduceResponse;
import org.apache.kafka.common.message.ProduceResponseData.TopicProduceResponse;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.CompressionType;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.MutableRecordBatch;
import org.apache.kafka.common.record.RecordBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.consensus.BrokerInfo;
import io.chronik.api.consensus.ClusterMetadata;
import io.chronik.api.consensus.PartitionLog;
import io.chronik.api.consensus.PartitionLog.AppendResult;
import io.chronik.api.consensus.PartitionInfo;
import io.chronik.api.consensus.PartitionLogs;
import io.chronik.api.consensus.TopicInfo;
import io.chronik.protocol.kafka.internal.codec.KafkaErrors;
import io.chronik.protocol.kafka.internal.codec.KafkaRequest;
import io.chronik.protocol.kafka.internal.codec.Outcome;
import io.chronik.protocol.kafka.internal.metrics.TopicMetrics;
import io.netty.util.concurrent.EventExecutor;

/**
 * Produce: each partition's record batch is checked by its header only (size, magic v2, one batch as Kafka
 * requires since v3) and handed to the partition's log as a slice of the request frame; the response is built
 * when every append has completed (acks=1/all) or the request's timeout has passed. acks=0 has no response;
 * as in Kafka, a failed acks=0 append closes the connection so the client notices.
 */
final class ProduceHandler {
    private static final Logger LOG = LoggerFactory.getLogger(ProduceHandler.class);

    private final Broker broker;

    ProduceHandler(Broker broker) {
        this.broker = broker;
    }

    CompletableFuture<Outcome> handle(KafkaRequest req, EventExecutor loop) {
        ProduceRequestData data = req.body();
        short acks = data.acks();
        ClusterMetadata md = broker.metadata();
        PartitionLogs logs = broker.logs();
        boolean byId = req.version() >= 13;
        Errors requestError = Errors.NONE;
        if (acks != 0 && acks != 1 && acks != -1) {
            requestError = Errors.INVALID_REQUIRED_ACKS;
        } else if (data.transactionalId() != null) {
            requestError = Errors.INVALID_REQUEST; // transactions are not supported
        }
        ProduceResponseData resp = new ProduceResponseData().setThrottleTimeMs(0);
        Pending pending = new Pending(req, resp, acks == 0, broker.topicMetrics());
        for (TopicProduceData td : data.topicData()) {
            TopicInfo topic = null;
            Errors topicError = requestError;
            if (topicError == Errors.NONE) {
                if (md == null) {
                    topicError = Errors.NOT_LEADER_OR_FOLLOWER;
                } else if (byId) {
                    topic = broker.topicById(md, td.topicId());
                    topicError = topic == null ? Errors.UNKNOWN_TOPIC_ID
                            : Broker.isInternal(topic.name()) ? Errors.INVALID_TOPIC_EXCEPTION : Errors.NONE;
                } else {
                    Optional<TopicInfo> t = md.topic(td.name());
                    if (Broker.isInternal(td.name())) {
                        topicError = Errors.INVALID_TOPIC_EXCEPTION; // as Kafka: only the coordinator writes it
                    } else if (t.isPresent()) {
                        topic = t.get();
                    } else {
                        topicError = broker.settings().autoCreateTopics()
                                ? MetadataHandler.autoCreate(md, broker, td.name()) : Errors.UNKNOWN_TOPIC_OR_PARTITION;
                        if (topicError == Errors.LEADER_NOT_AVAILABLE) {
                            topicError = Errors.UNKNOWN_TOPIC_OR_PARTITION; // retriable: the producer refreshes metadata
                        }
                    }
                }
            }
            TopicProduceResponse tr = new TopicProduceResponse().setName(td.name()).setTopicId(td.topicId());
            resp.responses().add(tr);
            for (PartitionProduceData pd : td.partitionData()) {
                PartitionProduceResponse pr = new PartitionProduceResponse().setIndex(pd.index())
                        .setBaseOffset(-1).setLogAppendTimeMs(-1).setLogStartOffset(-1);
                tr.partitionResponses().add(pr);
                Errors error = topicError;
                PartitionLog log = null;
                if (error == Errors.NONE) {
                    Partitions.Resolved r = Partitions.resolve(logs, topic, pd.index(), true);
                    error = r.error();
                    log = r.log();
                }
                MemoryRecords records = null;
                if (error == Errors.NONE) {
                    records = (MemoryRecords) pd.records();
                    error = validate(records, req.version());
                }
                if (error != Errors.NONE) {
                    pr.setErrorCode(error.code());
                    if (error == Errors.NOT_LEADER_OR_FOLLOWER) {
                        hintLeader(resp, pr, md, topic, pd.index(), req.version());
                    }
                    pending.failedAny = true;
                    continue;
                }
                Integer count = records.batches().iterator().next().countOrNull(); // one v2 batch: never null
                pending.appends.add(new Append(pr, log, records, topic, count == null ? 0 : count));
            }
        }
        pending.metadata = md;
        return pending.start(loop, data.timeoutMs(), logs);
    }

    /**
     * KIP-951: a partition refused with NOT_LEADER_OR_FOLLOWER names its current leader (id and epoch, from this node's
     * metadata) and the response carries that broker's endpoint, so that a client can go there without a Metadata
     * round trip (Produce v10+; Kafka's clients 3.7+ use it). Nothing is added when the metadata knows no live leader
     * elsewhere.
     */
    static void hintLeader(ProduceResponseData resp, PartitionProduceResponse pr, ClusterMetadata md, TopicInfo topic,
            int partition, short version) {
        if (version < 10 || md == null || topic == null || partition < 0 || partition >= topic.partitions().size()) {
            return;
        }
        PartitionInfo p = topic.partitions().get(partition);
        if (p.leader() < 0 || p.leader() == md.localNodeId()) {
            return;
        }
        for (BrokerInfo b : md.brokers()) {
            if (b.nodeId() == p.leader() && !b.fenced()) {
                pr.setCurrentLeader(new LeaderIdAndEpoch().setLeaderId(p.leader()).setLeaderEpoch(p.leaderEpoch()));
                if (resp.nodeEndpoints().find(b.nodeId()) == null) {
                    resp.nodeEndpoints().add(new NodeEndpoint().setNodeId(b.nodeId()).setHost(b.host())
                            .setPort(b.port()).setRack(b.rack() == null || b.rack().isEmpty() ? null : b.rack()));
                }
                return;
            }
        }
    }

    /** Header-only checks of a partition's records, as Kafka's ProduceRequest.validateRecords does. */
    static Errors validate(MemoryRecords records, short version) {
        if (records == null || records.sizeInBytes() == 0) {
            return Errors.INVALID_RECORD;
        }
        int batches = 0;
        int bytes = 0;
        try {
            for (MutableRecordBatch batch : records.batches()) {
                if (batch.magic() != RecordBatch.MAGIC_VALUE_V2) {
                    return Errors.UNSUPPORTED_FOR_MESSAGE_FORMAT;
                }
                if (version < 7 && batch.compressionType() == CompressionType.ZSTD) {
                    return Errors.UNSUPPORTED_COMPRESSION_TYPE;
                }
                batches++;
                bytes += batch.sizeInBytes();
            }
        } catch (RuntimeException e) {
            return Errors.CORRUPT_MESSAGE;
        }
        if (bytes != records.sizeInBytes()) {
            return Errors.CORRUPT_MESSAGE; // a truncated batch at the end
        }
        return batches == 1 ? Errors.NONE : Errors.INVALID_RECORD;
    }

    /** One partition's batch: {@code count} records, which the topic's traffic metrics count once appended. */
    private record Append(PartitionProduceResponse response, PartitionLog log, MemoryRecords records, TopicInfo topic,
            int count) {
    }

    /** The appends of one request, completing the response once all are done or the timeout passes. */
    private static final class Pending {
        final KafkaRequest req;
        final ProduceResponseData resp;
        final boolean noResponse;
        final TopicMetrics topicMetrics;
        final List<Append> appends = new ArrayList<>(2);
        final CompletableFuture<Outcome> outcome = new CompletableFuture<>();
        boolean failedAny;
        /** The metadata the request was checked against, for leader hints (may be null). */
        ClusterMetadata metadata;
        private AtomicInteger remaining;
        private boolean done;
        private ScheduledFuture<?> timer;

        Pending(KafkaRequest req, ProduceResponseData resp, boolean noResponse, TopicMetrics topicMetrics) {
            this.topicMetrics = topicMetrics;
            this.req = req;
            this.resp = resp;
            this.noResponse = noResponse;
        }

        CompletableFuture<Outcome> start(EventExecutor loop, int timeoutMs, PartitionLogs partitionLogs) {
            if (appends.isEmpty()) {
                complete();
                return outcome;
            }
            remaining = new AtomicInteger(appends.size());
            req.retainFrame(); // the records are slices of the frame: keep it until every append has completed
            // acks=0 too: a log that never answers must not stall the connection's later responses
            if (timeoutMs >= 0) {
                timer = loop.schedule(this::timeout, Math.max(timeoutMs, 1), TimeUnit.MILLISECONDS);
            }
            // all partitions at once: those sharing a consensus group are replicated together
            List<PartitionLog> logs = new ArrayList<>(appends.size());
            List<ByteBuffer> batches = new ArrayList<>(appends.size());
            for (Append a : appends) {
                logs.add(a.log());
                batches.add(a.records().buffer());
            }
            List<CompletionStage<AppendResult>> stages;
            try {
                stages = partitionLogs.appendAll(logs, batches);
            } catch (RuntimeException e) {
                stages = Collections.nCopies(appends.size(), CompletableFuture.failedFuture(e));
            }
            for (int i = 0; i < appends.size(); i++) {
                Append a = appends.get(i);
                stages.get(i).whenComplete((result, failure) -> appended(a, result, failure));
            }
            return outcome;
        }

        private void appended(Append a, AppendResult result, Throwable failure) {
            if (failure == null) {
                // appended by this node as leader, whether or not the response still waits for it (as Kafka's
                // BytesInPerSec counts a local append); the batch is a slice of the frame, retained until below
                topicMetrics.produced(a.topic().name(), a.records().sizeInBytes(), a.count());
            }
            synchronized (this) {
                if (!done) {
                    PartitionProduceResponse pr = a.response();
                    if (failure == null) {
                        pr.setErrorCode(Errors.NONE.code()).setBaseOffset(result.baseOffset())
                                .setLogAppendTimeMs(result.logAppendTime()).setLogStartOffset(result.logStartOffset());
                    } else {
                        Errors error = KafkaErrors.of(failure, KafkaErrors.Context.PRODUCE);
                        failedAny = true;
                        pr.setErrorCode(error.code());
                        if (req.version() >= 8) {
                            pr.setErrorMessage(KafkaErrors.message(failure));
                        }
                        if (error == Errors.NOT_LEADER_OR_FOLLOWER) {
                            // the leader lost its leadership meanwhile: name the one the metadata knows now
                            ClusterMetadata md = metadata;
                            TopicInfo current = md == null ? null : md.topic(a.topic().name()).orElse(null);
                            hintLeader(resp, pr, md, current, a.log().partition(), req.version());
                        }
                        LOG.debug("append to {}-{} failed: {}", a.log().topic(), a.log().partition(), error);
                    }
                }
            }
            if (remaining.decrementAndGet() == 0) {
                req.releaseFrame();
                synchronized (this) {
                    if (done) {
                        return;
                    }
                    complete();
                }
            }
        }

        private synchronized void timeout() {
            if (done) {
                return;
            }
            for (Append a : appends) {
                if (a.response().errorCode() == Errors.NONE.code() && a.response().baseOffset() < 0) {
                    a.response().setErrorCode(Errors.REQUEST_TIMED_OUT.code());
                }
            }
            complete();
        }

        /** Called with the monitor held, or before any append started. */
        private void complete() {
            done = true;
            if (timer != null) {
                timer.cancel(false);
            }
            if (noResponse) {
                if (failedAny) {
                    LOG.info("closing connection of {}: an acks=0 produce request failed", req.clientId());
                    outcome.complete(Outcome.CLOSE);
                } else {
                    outcome.complete(Outcome.NONE);
                }
            } else {
                outcome.complete(req.respond(resp));
            }
        }
    }
}
