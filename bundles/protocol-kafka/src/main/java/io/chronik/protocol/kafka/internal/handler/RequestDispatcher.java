package io.chronik.protocol.kafka.internal.handler;

import java.util.concurrent.CompletableFuture;

import io.chronik.protocol.kafka.internal.codec.KafkaRequest;
import io.chronik.protocol.kafka.internal.codec.Outcome;
import io.netty.util.concurrent.EventExecutor;

/** Routes a decoded request to its handler. Called on the connection's event loop; never blocks on the network. */
public final class RequestDispatcher {
    private final MetadataHandler metadata;
    private final ProduceHandler produce;
    private final FetchHandler fetch;
    private final OffsetsHandler offsets;
    private final TopicsHandler topics;
    private final ConfigsHandler configs;
    private final ClusterHandler cluster;
    private final GroupsHandler groups;
    private final LeadersHandler leaders;
    private final ReassignmentsHandler reassignments;

    public RequestDispatcher(Broker broker) {
        this.metadata = new MetadataHandler(broker);
        this.produce = new ProduceHandler(broker);
        this.fetch = new FetchHandler(broker);
        this.offsets = new OffsetsHandler(broker);
        this.topics = new TopicsHandler(broker);
        this.configs = new ConfigsHandler(broker);
        this.cluster = new ClusterHandler(broker);
        this.groups = new GroupsHandler(broker);
        this.leaders = new LeadersHandler(broker);
        this.reassignments = new ReassignmentsHandler(broker);
    }

    /**
     * Handles {@code req}; the future completes with the outcome (on any thread). {@code loop} is the connection's
     * event loop, for timers.
     */
    public CompletableFuture<Outcome> handle(KafkaRequest req, EventExecutor loop) {
        switch (req.apiKey()) {
            case PRODUCE:
                return produce.handle(req, loop);
            case FETCH:
                return fetch.handle(req, loop);
            case LIST_OFFSETS:
                return done(offsets.listOffsets(req));
            case METADATA:
                return done(metadata.handle(req));
            case OFFSET_FOR_LEADER_EPOCH:
                return done(offsets.offsetForLeaderEpoch(req));
            case DELETE_RECORDS:
                return offsets.deleteRecords(req);
            case API_VERSIONS:
                return done(cluster.apiVersions(req));
            case DESCRIBE_CLUSTER:
                return done(cluster.describeCluster(req));
            case FIND_COORDINATOR:
                return done(groups.findCoordinator(req));
            case JOIN_GROUP:
                return groups.joinGroup(req);
            case SYNC_GROUP:
                return groups.syncGroup(req);
            case HEARTBEAT:
                return done(groups.heartbeat(req));
            case LEAVE_GROUP:
                return done(groups.leaveGroup(req));
            case OFFSET_COMMIT:
                return groups.offsetCommit(req);
            case OFFSET_FETCH:
                return done(groups.offsetFetch(req));
            case LIST_GROUPS:
                return done(groups.listGroups(req));
            case DESCRIBE_GROUPS:
                return done(groups.describeGroups(req));
            case DELETE_GROUPS:
                return groups.deleteGroups(req);
            case OFFSET_DELETE:
                return groups.offsetDelete(req);
            case INIT_PRODUCER_ID:
                return cluster.initProducerId(req);
            case CREATE_TOPICS:
                return topics.createTopics(req);
            case DELETE_TOPICS:
                return topics.deleteTopics(req);
            case CREATE_PARTITIONS:
                return topics.createPartitions(req);
            case DESCRIBE_CONFIGS:
                return done(configs.describeConfigs(req));
            case ALTER_CONFIGS:
                return configs.alterConfigs(req);
            case INCREMENTAL_ALTER_CONFIGS:
                return configs.incrementalAlterConfigs(req);
            case ELECT_LEADERS:
                return leaders.electLeaders(req);
            case ALTER_PARTITION_REASSIGNMENTS:
                return reassignments.alterPartitionReassignments(req);
            case LIST_PARTITION_REASSIGNMENTS:
                return done(reassignments.listPartitionReassignments(req));
            default:
                // the decoder only lets implemented APIs through
                return done(Outcome.CLOSE);
        }
    }

    private static CompletableFuture<Outcome> done(Outcome o) {
        return CompletableFuture.completedFuture(o);
    }
}
