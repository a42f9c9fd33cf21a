package io.chronik.protocol.kafka.internal.handler;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.message.DeleteRecordsRequestData;
import org.apache.kafka.common.message.DeleteRecordsResponseData;
import org.apache.kafka.common.message.DeleteRecordsResponseData.DeleteRecordsPartitionResult;
import org.apache.kafka.common.message.DeleteRecordsResponseData.DeleteRecordsTopicResult;
import org.apache.kafka.common.message.ListOffsetsRequestData;
import org.apache.kafka.common.message.ListOffsetsResponseData;
import org.apache.kafka.common.message.ListOffsetsResponseData.ListOffsetsPartitionResponse;
import org.apache.kafka.common.message.ListOffsetsResponseData.ListOffsetsTopicResponse;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData.EpochEndOffset;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData.OffsetForLeaderTopicResult;
import org.apache.kafka.common.protocol.Errors;

import io.chronik.api.consensus.ClusterMetadata;
import io.chronik.api.consensus.ConsensusException;
import io.chronik.api.consensus.PartitionLog;
import io.chronik.api.consensus.PartitionLogs;
import io.chronik.api.consensus.TopicInfo;
import io.chronik.protocol.kafka.internal.codec.KafkaErrors;
import io.chronik.protocol.kafka.internal.codec.KafkaRequest;
import io.chronik.protocol.kafka.internal.codec.Outcome;

/** ListOffsets, OffsetForLeaderEpoch and DeleteRecords: per-partition offset queries and truncation. */
final class OffsetsHandler {
    /** ListOffsets' earliest-local (-4) and earliest-pending-upload (-5) specs: no tiering here, so earliest. */
    private static final long EARLIEST_LOCAL = -4L;
    private static final long EARLIEST_PENDING_UPLOAD = -5L;

    private final Broker broker;

    OffsetsHandler(Broker broker) {
        this.broker = broker;
    }

    private TopicInfo topic(ClusterMetadata md, String name) {
        return md == null ? null : md.topic(name).orElse(null);
    }

    Outcome listOffsets(KafkaRequest req) {
        ListOffsetsRequestData data = req.body();
        ClusterMetadata md = broker.metadata();
        PartitionLogs logs = broker.logs();
        ListOffsetsResponseData resp = new ListOffsetsResponseData().setThrottleTimeMs(0);
        for (ListOffsetsRequestData.ListOffsetsTopic t : data.topics()) {
            TopicInfo topic = topic(md, t.name());
            ListOffsetsTopicResponse tr = new ListOffsetsTopicResponse().setName(t.name());
            resp.topics().add(tr);
            for (ListOffsetsRequestData.ListOffsetsPartition p : t.partitions()) {
                ListOffsetsPartitionResponse pr = new ListOffsetsPartitionResponse().setPartitionIndex(p.partitionIndex())
                        .setTimestamp(-1).setOffset(-1).setLeaderEpoch(-1);
                tr.partitions().add(pr);
                Partitions.Resolved r = md == null ? new Partitions.Resolved(null, Errors.NOT_LEADER_OR_FOLLOWER)
                        : Partitions.resolve(logs, topic, p.partitionIndex(), true);
                Errors error = r.error();
                if (error == Errors.NONE) {
                    error = Partitions.checkEpoch(p.currentLeaderEpoch(), r.log());
                }
                if (error == Errors.NONE) {
                    long ts = p.timestamp();
                    if (ts == EARLIEST_LOCAL || ts == EARLIEST_PENDING_UPLOAD) {
                        ts = -2L;
                    }
                    try {
                        PartitionLog.TimestampOffset found = r.log().offsetForTimestamp(ts);
                        if (found != null) {
                            pr.setTimestamp(found.timestamp()).setOffset(found.offset());
                            if (req.version() >= 4) { // not ignorable: writing it below v4 would fail
                                pr.setLeaderEpoch(found.leaderEpoch());
                            }
                        }
                    } catch (ConsensusException e) {
                        error = KafkaErrors.of(e, KafkaErrors.Context.PARTITION);
                    }
                }
                pr.setErrorCode(error.code());
            }
        }
        return req.respond(resp);
    }

    Outcome offsetForLeaderEpoch(KafkaRequest req) {
        OffsetForLeaderEpochRequestData data = req.body();
        ClusterMetadata md = broker.metadata();
        PartitionLogs logs = broker.logs();
        OffsetForLeaderEpochResponseData resp = new OffsetForLeaderEpochResponseData().setThrottleTimeMs(0);
        for (OffsetForLeaderEpochRequestData.OffsetForLeaderTopic t : data.topics()) {
            TopicInfo topic = topic(md, t.topic());
            OffsetForLeaderTopicResult tr = new OffsetForLeaderTopicResult().setTopic(t.topic());
            resp.topics().add(tr);
            for (OffsetForLeaderEpochRequestData.OffsetForLeaderPartition p : t.partitions()) {
                EpochEndOffset pr = new EpochEndOffset().setPartition(p.partition()).setLeaderEpoch(-1).setEndOffset(-1);
                tr.partitions().add(pr);
                Partitions.Resolved r = md == null ? new Partitions.Resolved(null, Errors.NOT_LEADER_OR_FOLLOWER)
                        : Partitions.resolve(logs, topic, p.partition(), true);
                Errors error = r.error();
                if (error == Errors.NONE) {
                    error = Partitions.checkEpoch(p.currentLeaderEpoch(), r.log());
                }
                if (error == Errors.NONE) {
                    PartitionLog.EpochEndOffset end = r.log().endOffsetForLeaderEpoch(p.leaderEpoch());
                    if (end != null) {
                        pr.setLeaderEpoch(end.leaderEpoch()).setEndOffset(end.endOffset());
                    }
                }
                pr.setErrorCode(error.code());
            }
        }
        return req.respond(resp);
    }

    CompletableFuture<Outcome> deleteRecords(KafkaRequest req) {
        DeleteRecordsRequestData data = req.body();
        ClusterMetadata md = broker.metadata();
        PartitionLogs logs = broker.logs();
        DeleteRecordsResponseData resp = new DeleteRecordsResponseData().setThrottleTimeMs(0);
        List<CompletableFuture<Void>> pending = new ArrayList<>();
        for (DeleteRecordsRequestData.DeleteRecordsTopic t : data.topics()) {
            TopicInfo topic = topic(md, t.name());
            DeleteRecordsTopicResult tr = resp.topics().find(t.name());
            if (tr == null) {
                tr = new DeleteRecordsTopicResult().setName(t.name());
                resp.topics().add(tr);
            }
            for (DeleteRecordsRequestData.DeleteRecordsPartition p : t.partitions()) {
                DeleteRecordsPartitionResult pr = new DeleteRecordsPartitionResult().setPartitionIndex(p.partitionIndex())
                        .setLowWatermark(-1);
                if (tr.partitions().find(p.partitionIndex()) != null) {
                    continue;
                }
                tr.partitions().add(pr);
                Partitions.Resolved r = md == null ? new Partitions.Resolved(null, Errors.NOT_LEADER_OR_FOLLOWER)
                        : Partitions.resolve(logs, topic, p.partitionIndex(), true);
                if (!r.ok()) {
                    pr.setErrorCode(r.error().code());
                    continue;
                }
                long hw = r.log().highWatermark();
                long offset = p.offset() == -1L ? hw : p.offset();
                if (offset < 0 || offset > hw) {
                    pr.setErrorCode(Errors.OFFSET_OUT_OF_RANGE.code());
                    continue;
                }
                CompletionStage<Long> stage = r.log().deleteRecordsBefore(offset);
                pending.add(Futures.handle(stage, (low, failure) -> {
                    synchronized (pr) {
                        if (failure == null) {
                            pr.setErrorCode(Errors.NONE.code()).setLowWatermark(low);
                        } else {
                            pr.setErrorCode(KafkaErrors.of(failure, KafkaErrors.Context.PARTITION).code());
                        }
                    }
                }));
            }
        }
        return Futures.all(pending).thenApply(v -> req.respond(resp));
    }
}
