package io.chronik.protocol.kafka.internal.handler;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchRequestData.FetchPartition;
import org.apache.kafka.common.message.FetchRequestData.FetchTopic;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.FetchResponseData.FetchableTopicResponse;
import org.apache.kafka.common.message.FetchResponseData.PartitionData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.MemoryRecords;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.consensus.ClusterMetadata;
import io.chronik.api.consensus.ConsensusException;
import io.chronik.api.consensus.PartitionLog;
import io.chronik.api.consensus.PartitionLogs;
import io.chronik.api.consensus.TopicInfo;
import io.chronik.protocol.kafka.internal.ServerSettings;
import io.chronik.protocol.kafka.internal.codec.KafkaErrors;
import io.chronik.protocol.kafka.internal.codec.KafkaRequest;
import io.chronik.protocol.kafka.internal.codec.Outcome;
import io.netty.util.concurrent.EventExecutor;

/**
 * Fetch: reads whole batches from each partition's log (as bytes, linked into the response without a copy),
 * honouring max_bytes (the first partition with data always returns at least one batch, later ones only what
 * fits) and partition_max_bytes, and long-polls with {@link PartitionLog#awaitBeyond} and a timer until min_bytes
 * are available or max_wait_ms (capped by {@code fetch.max.wait.cap.ms}) has passed.
 *
 * <p><b>Fetch sessions (KIP-227).</b> This broker caches no sessions and behaves as Kafka's FetchManager does when
 * its session cache has no room: a full request (epoch 0 or -1) is answered in full with session id 0, which tells
 * the client that no session was created, so it keeps sending full requests; an incremental request (any other
 * epoch) names a session that does not exist and is answered with FETCH_SESSION_ID_NOT_FOUND, after which the
 * client starts over with a full one.
 *
 * <p><b>Metrics.</b> The pass over the partitions that becomes the response is counted in {@link FetchMetrics}
 * (follower reads, their bytes, refusals by reason, preferred-replica redirects) and its record bytes per topic in
 * {@link io.chronik.protocol.kafka.internal.metrics.TopicMetrics} (bytes out, as leader or follower), once per fetch
 * however often a long poll re-reads; so is the time a fetch waited for its follower barriers.
 */
final class FetchHandler {
    private static final Logger LOG = LoggerFactory.getLogger(FetchHandler.class);

    private final Broker broker;

    FetchHandler(Broker broker) {
        this.broker = broker;
    }

    CompletableFuture<Outcome> handle(KafkaRequest req, EventExecutor loop) {
        FetchRequestData data = req.body();
        // epoch 0 (create a session) and -1 (no session) are full requests whatever the session id (a full request
        // with a session id closes that session in Kafka; there is none here); any other epoch is incremental
        if (data.sessionEpoch() != 0 && data.sessionEpoch() != -1) {
            FetchResponseData resp = new FetchResponseData().setThrottleTimeMs(0).setSessionId(0)
                    .setErrorCode(Errors.FETCH_SESSION_ID_NOT_FOUND.code());
            return CompletableFuture.completedFuture(req.respond(resp));
        }
        List<CompletableFuture<PartitionLog>> barriers = followerBarriers(req);
        if (barriers.isEmpty()) {
            return respond(req, loop, Set.of());
        }
        // read-your-writes on a follower: what was committed when the fetch arrived is applied here before it reads
        long asked = System.nanoTime();
        CompletableFuture<Outcome> outcome = new CompletableFuture<>();
        CompletableFuture.allOf(barriers.toArray(new CompletableFuture[0])).whenComplete((v, e) -> loop.execute(() -> {
            broker.fetchMetrics().barriersDone(asked);
            Set<PartitionLog> unavailable = new HashSet<>();
            for (CompletableFuture<PartitionLog> b : barriers) {
                PartitionLog failed = b.getNow(null);
                if (failed != null) {
                    unavailable.add(failed);
                }
            }
            try {
                respond(req, loop, unavailable).whenComplete((o, t) -> {
                    if (t != null) {
                        outcome.completeExceptionally(t);
                    } else {
                        outcome.complete(o);
                    }
                });
            } catch (RuntimeException t) {
                outcome.completeExceptionally(t);
            }
        }));
        return outcome;
    }

    /**
     * A ReadIndex barrier for each partition this node serves as a follower whose fetch starts at or beyond its high
     * watermark (a consumer waiting for new records): each completes with null once passed, or with the log if it
     * failed or took longer than {@code fetch.follower.max.wait.ms} (the follower then sends the consumer away). None
     * while this node is fenced.
     */
    private List<CompletableFuture<PartitionLog>> followerBarriers(KafkaRequest req) {
        ServerSettings.FollowerFetch ff = broker.settings().followerFetch();
        ClusterMetadata md = broker.metadata();
        PartitionLogs logs = broker.logs();
        List<CompletableFuture<PartitionLog>> barriers = new ArrayList<>();
        if (!ff.enabled() || md == null || logs == null || FollowerReads.isFenced(md.brokers(), md.localNodeId())) {
            return barriers; // a fenced node refuses follower reads without asking for barriers
        }
        FetchRequestData data = req.body();
        for (FetchTopic ft : data.topics()) {
            TopicInfo topic = req.version() >= 13 ? broker.topicById(md, ft.topicId()) : md.topic(ft.topic()).orElse(null);
            if (topic == null) {
                continue;
            }
            for (FetchPartition fp : ft.partitions()) {
                PartitionLog log = logs.log(topic.name(), fp.partition()).orElse(null);
                if (log != null && !log.isLeader() && fp.fetchOffset() >= log.highWatermark()) {
                    barriers.add(log.readBarrier().toCompletableFuture()
                            .orTimeout(ff.maxWaitMs(), TimeUnit.MILLISECONDS)
                            .handle((v, e) -> e == null ? null : log));
                }
            }
        }
        return barriers;
    }

    private CompletableFuture<Outcome> respond(KafkaRequest req, EventExecutor loop, Set<PartitionLog> unavailable) {
        FetchRequestData data = req.body();
        Result first = read(req, unavailable);
        int maxWait = Math.min(data.maxWaitMs(), broker.settings().fetchMaxWaitCapMs());
        if (first.done(data.minBytes()) || maxWait <= 0) {
            broker.fetchMetrics().responded(first.tally);
            first.tally.countTopics(broker.topicMetrics());
            return CompletableFuture.completedFuture(req.respond(first.response));
        }
        DelayedFetch delayed = new DelayedFetch(req, loop, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(maxWait),
                unavailable);
        delayed.await(first);
        return delayed.outcome;
    }

    /** One pass over the requested partitions. */
    private static final class Result {
        final FetchResponseData response;
        final List<PartitionLog> logs = new ArrayList<>();
        final List<Long> waitOffsets = new ArrayList<>();
        final FetchMetrics.Tally tally = new FetchMetrics.Tally();
        long bytes;
        boolean error;

        Result(FetchResponseData response) {
            this.response = response;
        }

        boolean done(int minBytes) {
            return error || logs.isEmpty() || bytes >= Math.max(minBytes, 1);
        }
    }

    private Result read(KafkaRequest req, Set<PartitionLog> unavailable) {
        FetchRequestData data = req.body();
        ServerSettings.FollowerFetch ff = broker.settings().followerFetch();
        boolean byId = req.version() >= 13;
        ClusterMetadata md = broker.metadata();
        PartitionLogs logs = broker.logs();
        boolean localFenced = md != null && FollowerReads.isFenced(md.brokers(), md.localNodeId());
        FetchResponseData resp = new FetchResponseData().setThrottleTimeMs(0).setErrorCode(Errors.NONE.code()).setSessionId(0);
        Result result = new Result(resp);
        int remaining = data.maxBytes();
        boolean haveData = false;
        for (FetchTopic ft : data.topics()) {
            TopicInfo topic = null;
            Errors topicError = Errors.NONE;
            long topicBytes = 0;
            if (md == null) {
                topicError = Errors.NOT_LEADER_OR_FOLLOWER;
            } else if (byId) {
                topic = broker.topicById(md, ft.topicId());
                topicError = topic == null ? Errors.UNKNOWN_TOPIC_ID : Errors.NONE;
            } else {
                Optional<TopicInfo> t = md.topic(ft.topic());
                topic = t.orElse(null);
                topicError = topic == null ? Errors.UNKNOWN_TOPIC_OR_PARTITION : Errors.NONE;
            }
            FetchableTopicResponse tr = new FetchableTopicResponse().setTopic(ft.topic()).setTopicId(ft.topicId());
            resp.responses().add(tr);
            for (FetchPartition fp : ft.partitions()) {
                PartitionData pd = new PartitionData().setPartitionIndex(fp.partition()).setHighWatermark(-1)
                        .setLastStableOffset(-1).setLogStartOffset(-1).setRecords(MemoryRecords.EMPTY);
                tr.partitions().add(pd);
                Errors error = topicError;
                PartitionLog log = null;
                if (error == Errors.NONE) {
                    Partitions.Resolved r = Partitions.resolve(logs, topic, fp.partition(), false);
                    error = r.error();
                    log = r.log();
                }
                boolean asFollower = error == Errors.NONE && !log.isLeader();
                if (asFollower) {
                    FollowerReads.Refusal refusal = !ff.enabled() ? FollowerReads.Refusal.DISABLED
                            : FollowerReads.check(topic.partitions().get(fp.partition()), log, md.localNodeId(),
                                    localFenced, unavailable);
                    if (refusal != null) {
                        error = Errors.NOT_LEADER_OR_FOLLOWER;
                        result.tally.refused(refusal);
                    }
                }
                if (error == Errors.NONE) {
                    error = Partitions.checkEpoch(fp.currentLeaderEpoch(), log);
                }
                if (error == Errors.NONE && ff.enabled() && log.isLeader() && req.version() >= 11) {
                    int preferred = FollowerReads.preferredReadReplica(topic.partitions().get(fp.partition()),
                            md.brokers(), data.rackId());
                    if (preferred >= 0) {
                        // KIP-392: name the replica to fetch from instead of answering with records
                        long hw = log.highWatermark();
                        pd.setHighWatermark(hw).setLastStableOffset(hw).setLogStartOffset(log.logStartOffset())
                                .setPreferredReadReplica(preferred);
                        result.tally.redirected();
                        continue;
                    }
                }
                if (error == Errors.NONE) {
                    long hw = log.highWatermark();
                    pd.setHighWatermark(hw).setLastStableOffset(hw).setLogStartOffset(log.logStartOffset());
                    long offset = fp.fetchOffset();
                    int served = 0;
                    if (offset < pd.logStartOffset() || offset > hw) {
                        error = Errors.OFFSET_OUT_OF_RANGE;
                    } else if (offset < hw && remaining > 0) {
                        int limit = Math.min(fp.partitionMaxBytes(), remaining);
                        if (limit > 0) {
                            try {
                                ByteBuffer bytes = log.read(offset, limit);
                                int n = bytes.remaining();
                                // the first partition with data gets at least one batch; later ones only what fits
                                if (n > 0 && (!haveData || n <= limit)) {
                                    pd.setRecords(MemoryRecords.readableRecords(bytes));
                                    haveData = true;
                                    remaining -= n;
                                    result.bytes += n;
                                    topicBytes += n;
                                    served = n;
                                }
                            } catch (ConsensusException e) {
                                error = KafkaErrors.of(e, KafkaErrors.Context.PARTITION);
                            } catch (RuntimeException e) {
                                LOG.warn("reading {}-{} at {} failed", log.topic(), log.partition(), offset, e);
                                error = Errors.UNKNOWN_SERVER_ERROR;
                            }
                        }
                    }
                    if (error == Errors.NONE) {
                        result.logs.add(log);
                        result.waitOffsets.add(Math.max(offset, hw));
                        if (asFollower) {
                            result.tally.servedAsFollower(served);
                        }
                    }
                }
                if (error != Errors.NONE) {
                    pd.setErrorCode(error.code()).setRecords(MemoryRecords.EMPTY);
                    if (error != Errors.OFFSET_OUT_OF_RANGE || log == null) {
                        pd.setHighWatermark(-1).setLastStableOffset(-1).setLogStartOffset(-1);
                    }
                    result.error = true;
                }
            }
            if (topicBytes > 0) {
                result.tally.servedTopic(topic.name(), topicBytes);
            }
        }
        return result;
    }

    /**
     * A fetch waiting for data: woken by any partition's log growing, or by its deadline. A wake that belongs to
     * an earlier round (a log that grew after the fetch was already re-evaluated) is ignored. The provider's wait
     * stages are never cancelled (a provider may share one stage among many waiters).
     */
    private final class DelayedFetch {
        final KafkaRequest req;
        final EventExecutor loop;
        final long deadlineNanos;
        final CompletableFuture<Outcome> outcome = new CompletableFuture<>();
        /** Follower partitions whose ReadIndex barrier failed: answered NOT_LEADER_OR_FOLLOWER. */
        private final Set<PartitionLog> unavailable;
        private ScheduledFuture<?> timer;
        private int round;

        private final List<CompletableFuture<Void>> pending = new ArrayList<>();

        DelayedFetch(KafkaRequest req, EventExecutor loop, long deadlineNanos, Set<PartitionLog> unavailable) {
            this.unavailable = unavailable;
            this.req = req;
            this.loop = loop;
            this.deadlineNanos = deadlineNanos;
        }

        /** Runs on the event loop. */
        void await(Result current) {
            int thisRound = ++round;
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) {
                finish(current);
                return;
            }
            timer = loop.schedule(() -> wake(thisRound, true), left, TimeUnit.NANOSECONDS);
            for (int i = 0; i < current.logs.size(); i++) {
                CompletionStage<Void> stage = current.logs.get(i).awaitBeyond(current.waitOffsets.get(i));
                pending.add(stage.toCompletableFuture());
                stage.whenComplete((v, t) -> {
                    if (loop.inEventLoop()) {
                        wake(thisRound, false);
                    } else {
                        loop.execute(() -> wake(thisRound, false));
                    }
                });
                if (round != thisRound || outcome.isDone()) {
                    return; // completed synchronously and already re-evaluated
                }
            }
        }

        private void wake(int forRound, boolean deadline) {
            if (forRound != round || outcome.isDone()) {
                return;
            }
            round++;
            if (timer != null) {
                timer.cancel(false);
                timer = null;
            }
            cancelPending();
            try {
                Result next = read(req, unavailable);
                FetchRequestData data = req.body();
                if (deadline || next.done(data.minBytes())) {
                    finish(next);
                } else {
                    await(next);
                }
            } catch (RuntimeException e) {
                // on a timer or a log's thread nobody else would see it, and the connection would wait for this
                // response forever: close it instead, as a failure of the first read does
                LOG.warn("handling {} failed; closing the connection", req, e);
                cancelPending();
                outcome.complete(Outcome.CLOSE);
            }
        }

        /** Gives the waits of the previous round back to the logs, so idle partitions keep no stale waiters. */
        private void cancelPending() {
            for (CompletableFuture<Void> f : pending) {
                f.cancel(false);
            }
            pending.clear();
        }

        private void finish(Result result) {
            if (timer != null) {
                timer.cancel(false);
                timer = null;
            }
            cancelPending();
            broker.fetchMetrics().responded(result.tally);
            result.tally.countTopics(broker.topicMetrics());
            outcome.complete(req.respond(result.response));
        }
    }

}
