package io.chronik.protocol.kafka.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.AlterConfigsRequestData;
import org.apache.kafka.common.message.AlterPartitionReassignmentsRequestData;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.CreatePartitionsRequestData;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.DeleteRecordsRequestData;
import org.apache.kafka.common.message.DeleteTopicsRequestData;
import org.apache.kafka.common.message.DescribeClusterRequestData;
import org.apache.kafka.common.message.DescribeConfigsRequestData;
import org.apache.kafka.common.message.ElectLeadersRequestData;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.ListOffsetsRequestData;
import org.apache.kafka.common.message.ListPartitionReassignmentsRequestData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.DeleteGroupsRequestData;
import org.apache.kafka.common.message.DescribeGroupsRequestData;
import org.apache.kafka.common.message.HeartbeatRequestData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.LeaveGroupRequestData;
import org.apache.kafka.common.message.ListGroupsRequestData;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetDeleteRequestData;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.SimpleRecord;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

import io.chronik.api.consensus.TopicInfo;
import io.chronik.protocol.kafka.internal.group.GroupSettings;

/**
 * Every implemented API at every advertised version with a request that exercises its response fields: the
 * response must arrive and parse (a field set beyond what a version can carry would fail the encoding).
 */
public class VersionSweepIT {
    private static final ApiKeys[] APIS = {
        ApiKeys.PRODUCE, ApiKeys.FETCH, ApiKeys.LIST_OFFSETS, ApiKeys.METADATA, ApiKeys.FIND_COORDINATOR,
        ApiKeys.API_VERSIONS, ApiKeys.CREATE_TOPICS, ApiKeys.DELETE_TOPICS, ApiKeys.DELETE_RECORDS,
        ApiKeys.INIT_PRODUCER_ID, ApiKeys.OFFSET_FOR_LEADER_EPOCH, ApiKeys.DESCRIBE_CONFIGS, ApiKeys.ALTER_CONFIGS,
        ApiKeys.CREATE_PARTITIONS, ApiKeys.INCREMENTAL_ALTER_CONFIGS, ApiKeys.DESCRIBE_CLUSTER,
        ApiKeys.ELECT_LEADERS, ApiKeys.ALTER_PARTITION_REASSIGNMENTS, ApiKeys.LIST_PARTITION_REASSIGNMENTS,
        ApiKeys.JOIN_GROUP, ApiKeys.SYNC_GROUP, ApiKeys.HEARTBEAT, ApiKeys.LEAVE_GROUP, ApiKeys.OFFSET_COMMIT,
        ApiKeys.OFFSET_FETCH, ApiKeys.LIST_GROUPS, ApiKeys.DESCRIBE_GROUPS, ApiKeys.DELETE_GROUPS, ApiKeys.OFFSET_DELETE,
    };

    private static final String GROUP = "sweep-group";

    private static InMemoryCluster cluster;
    private static KafkaServer server;
    private static TopicInfo topic;
    private static Uuid topicId;

    @BeforeClass
    public static void start() throws Exception {
        cluster = new InMemoryCluster(1);
        server = new KafkaServer(ServerSettings.defaults("127.0.0.1:0")
                .withGroups(GroupSettings.defaults().withInitialRebalanceDelayMs(0)), () -> cluster, () -> cluster);
        server.start();
        cluster.setPort(server.port());
        topic = cluster.createTopic("sweep", 2, 1, Map.of("retention.ms", "1000")).toCompletableFuture()
                .get(5, TimeUnit.SECONDS);
        topicId = new Uuid(topic.id().getMostSignificantBits(), topic.id().getLeastSignificantBits());
    }

    @AfterClass
    public static void stop() {
        server.close();
        cluster.close();
    }

    @Test
    public void everyApiAtEveryAdvertisedVersion() throws Exception {
        try (RawClient c = new RawClient(server.port())) {
            c.send(ApiKeys.API_VERSIONS, (short) 0, 0, new ApiVersionsRequestData());
            ApiVersionsResponseData advertised = c.receive(ApiKeys.API_VERSIONS, (short) 0, 0);
            assertEquals(APIS.length, advertised.apiKeys().size());
            int correlation = 1;
            // the group APIs should meet a loaded coordinator: FindCoordinator creates __consumer_offsets
            long deadline = System.currentTimeMillis() + 10_000;
            while (true) {
                int id = correlation++;
                c.send(ApiKeys.OFFSET_FETCH, (short) 8, id, request(ApiKeys.OFFSET_FETCH, (short) 8, id));
                OffsetFetchResponseData r = c.receive(ApiKeys.OFFSET_FETCH, (short) 8, id);
                if (r.groups().get(0).errorCode() == Errors.NONE.code()) {
                    break;
                }
                assertTrue("coordinator not ready: " + r, System.currentTimeMillis() < deadline);
                c.send(ApiKeys.FIND_COORDINATOR, (short) 3, id, new FindCoordinatorRequestData().setKey(GROUP));
                c.receive(ApiKeys.FIND_COORDINATOR, (short) 3, id);
                Thread.sleep(50);
            }
            for (ApiKeys key : APIS) {
                ApiVersionsResponseData.ApiVersion range = advertised.apiKeys().find(key.id);
                assertNotNull(key.toString(), range);
                assertEquals(key.oldestVersion(), range.minVersion());
                assertEquals("stable versions only", key.latestVersion(false), range.maxVersion());
                for (short v = range.minVersion(); v <= range.maxVersion(); v++) {
                    int id = correlation++;
                    c.send(key, v, id, request(key, v, id));
                    ApiMessage response;
                    try {
                        response = c.receive(key, v, id);
                    } catch (java.io.IOException e) {
                        throw new AssertionError(key + " v" + v + ": no response (" + e + ")", e);
                    }
                    assertNotNull(key + " v" + v, response);
                }
            }
        }
    }

    private static MemoryRecords records() {
        return MemoryRecords.withRecords(Compression.NONE,
                new SimpleRecord(System.currentTimeMillis(), "k".getBytes(StandardCharsets.UTF_8), "v".getBytes(StandardCharsets.UTF_8)));
    }

    private static ApiMessage request(ApiKeys key, short v, int id) {
        String name = "sweep";
        switch (key) {
            case PRODUCE: {
                ProduceRequestData d = new ProduceRequestData().setAcks((short) 1).setTimeoutMs(5000);
                ProduceRequestData.TopicProduceData td = new ProduceRequestData.TopicProduceData();
                if (v >= 13) {
                    td.setTopicId(topicId);
                } else {
                    td.setName(name);
                }
                td.partitionData().add(new ProduceRequestData.PartitionProduceData().setIndex(0).setRecords(records()));
                d.topicData().add(td);
                return d;
            }
            case FETCH: {
                FetchRequestData d = new FetchRequestData().setMaxWaitMs(0).setMinBytes(1).setMaxBytes(1 << 20)
                        .setSessionEpoch(-1);
                FetchRequestData.FetchTopic ft = new FetchRequestData.FetchTopic();
                if (v >= 13) {
                    ft.setTopicId(topicId);
                } else {
                    ft.setTopic(name);
                }
                ft.partitions().add(new FetchRequestData.FetchPartition().setPartition(0).setFetchOffset(0)
                        .setPartitionMaxBytes(1 << 20));
                ft.partitions().add(new FetchRequestData.FetchPartition().setPartition(1).setFetchOffset(99)
                        .setPartitionMaxBytes(1 << 20));
                d.topics().add(ft);
                return d;
            }
            case LIST_OFFSETS: {
                ListOffsetsRequestData d = new ListOffsetsRequestData().setReplicaId(-1);
                ListOffsetsRequestData.ListOffsetsTopic t = new ListOffsetsRequestData.ListOffsetsTopic().setName(name);
                t.partitions().add(new ListOffsetsRequestData.ListOffsetsPartition().setPartitionIndex(0).setTimestamp(0));
                t.partitions().add(new ListOffsetsRequestData.ListOffsetsPartition().setPartitionIndex(0).setTimestamp(-1));
                d.topics().add(t);
                return d;
            }
            case METADATA: {
                MetadataRequestData d = new MetadataRequestData();
                d.topics().add(new MetadataRequestData.MetadataRequestTopic().setName(name));
                d.topics().add(new MetadataRequestData.MetadataRequestTopic().setName("missing-" + id));
                if (v >= 4) {
                    d.setAllowAutoTopicCreation(false);
                }
                return d;
            }
            case FIND_COORDINATOR:
                return v >= 4 ? new FindCoordinatorRequestData().setCoordinatorKeys(List.of("g"))
                        : new FindCoordinatorRequestData().setKey("g");
            case API_VERSIONS:
                return new ApiVersionsRequestData().setClientSoftwareName("sweep").setClientSoftwareVersion("1.0");
            case CREATE_TOPICS: {
                CreateTopicsRequestData d = new CreateTopicsRequestData().setTimeoutMs(5000);
                d.topics().add(new CreateTopicsRequestData.CreatableTopic().setName("created-" + id).setNumPartitions(1)
                        .setReplicationFactor((short) 1));
                d.topics().add(new CreateTopicsRequestData.CreatableTopic().setName(name).setNumPartitions(1)
                        .setReplicationFactor((short) 1));
                return d;
            }
            case DELETE_TOPICS: {
                DeleteTopicsRequestData d = new DeleteTopicsRequestData().setTimeoutMs(5000);
                if (v >= 6) {
                    d.topics().add(new DeleteTopicsRequestData.DeleteTopicState().setName("never-" + id));
                    d.topics().add(new DeleteTopicsRequestData.DeleteTopicState().setTopicId(Uuid.randomUuid()));
                } else {
                    d.setTopicNames(List.of("never-" + id));
                }
                return d;
            }
            case DELETE_RECORDS: {
                DeleteRecordsRequestData d = new DeleteRecordsRequestData().setTimeoutMs(5000);
                DeleteRecordsRequestData.DeleteRecordsTopic t = new DeleteRecordsRequestData.DeleteRecordsTopic().setName(name);
                t.partitions().add(new DeleteRecordsRequestData.DeleteRecordsPartition().setPartitionIndex(1).setOffset(0));
                d.topics().add(t);
                return d;
            }
            case INIT_PRODUCER_ID:
                return new InitProducerIdRequestData().setTransactionalId(null).setTransactionTimeoutMs(1000);
            case OFFSET_FOR_LEADER_EPOCH: {
                OffsetForLeaderEpochRequestData d = new OffsetForLeaderEpochRequestData();
                OffsetForLeaderEpochRequestData.OffsetForLeaderTopic t =
                        new OffsetForLeaderEpochRequestData.OffsetForLeaderTopic().setTopic(name);
                t.partitions().add(new OffsetForLeaderEpochRequestData.OffsetForLeaderPartition().setPartition(0).setLeaderEpoch(0));
                d.topics().add(t);
                return d;
            }
            case DESCRIBE_CONFIGS: {
                DescribeConfigsRequestData d = new DescribeConfigsRequestData().setIncludeSynonyms(true);
                d.resources().add(new DescribeConfigsRequestData.DescribeConfigsResource().setResourceType((byte) 2)
                        .setResourceName(name).setConfigurationKeys(null));
                d.resources().add(new DescribeConfigsRequestData.DescribeConfigsResource().setResourceType((byte) 4)
                        .setResourceName("1").setConfigurationKeys(List.of("retention.ms")));
                return d;
            }
            case ALTER_CONFIGS: {
                AlterConfigsRequestData d = new AlterConfigsRequestData().setValidateOnly(true);
                AlterConfigsRequestData.AlterConfigsResource r = new AlterConfigsRequestData.AlterConfigsResource()
                        .setResourceType((byte) 2).setResourceName(name);
                r.configs().add(new AlterConfigsRequestData.AlterableConfig().setName("retention.ms").setValue("5"));
                d.resources().add(r);
                return d;
            }
            case INCREMENTAL_ALTER_CONFIGS: {
                IncrementalAlterConfigsRequestData d = new IncrementalAlterConfigsRequestData().setValidateOnly(true);
                IncrementalAlterConfigsRequestData.AlterConfigsResource r = new IncrementalAlterConfigsRequestData.AlterConfigsResource()
                        .setResourceType((byte) 2).setResourceName(name);
                r.configs().add(new IncrementalAlterConfigsRequestData.AlterableConfig().setName("retention.ms")
                        .setConfigOperation((byte) 0).setValue("5"));
                d.resources().add(r);
                return d;
            }
            case CREATE_PARTITIONS: {
                CreatePartitionsRequestData d = new CreatePartitionsRequestData().setTimeoutMs(5000).setValidateOnly(true);
                d.topics().add(new CreatePartitionsRequestData.CreatePartitionsTopic().setName(name).setCount(3)
                        .setAssignments(null));
                return d;
            }
            case DESCRIBE_CLUSTER:
                return new DescribeClusterRequestData();
            case ELECT_LEADERS: {
                // an unknown partition next to a known one: both carry an error code and (v1+) a message
                ElectLeadersRequestData d = new ElectLeadersRequestData().setTimeoutMs(5000);
                ElectLeadersRequestData.TopicPartitionsCollection tps = new ElectLeadersRequestData.TopicPartitionsCollection();
                tps.add(new ElectLeadersRequestData.TopicPartitions().setTopic(name).setPartitions(List.of(0, 9)));
                return d.setTopicPartitions(tps);
            }
            case ALTER_PARTITION_REASSIGNMENTS: {
                // a move to the current replicas (accepted) next to an unknown partition; v1 refuses RF changes
                AlterPartitionReassignmentsRequestData d = new AlterPartitionReassignmentsRequestData()
                        .setAllowReplicationFactorChange(v == 0);
                d.topics().add(new AlterPartitionReassignmentsRequestData.ReassignableTopic().setName(name).setPartitions(List.of(
                        new AlterPartitionReassignmentsRequestData.ReassignablePartition().setPartitionIndex(0).setReplicas(List.of(1)),
                        new AlterPartitionReassignmentsRequestData.ReassignablePartition().setPartitionIndex(9).setReplicas(null))));
                return d;
            }
            case LIST_PARTITION_REASSIGNMENTS:
                return new ListPartitionReassignmentsRequestData().setTopics(List.of(
                        new ListPartitionReassignmentsRequestData.ListPartitionReassignmentsTopics().setName(name)
                                .setPartitionIndexes(List.of(0, 1))));
            case JOIN_GROUP: {
                JoinGroupRequestData d = new JoinGroupRequestData().setGroupId("sweep-join-" + id).setSessionTimeoutMs(10_000)
                        .setRebalanceTimeoutMs(10_000).setMemberId("").setProtocolType("consumer");
                if (v >= 5) {
                    d.setGroupInstanceId("instance"); // a static member joins at once, without MEMBER_ID_REQUIRED
                }
                d.protocols().add(new JoinGroupRequestData.JoinGroupRequestProtocol().setName("range").setMetadata(new byte[] {0, 1}));
                return d;
            }
            case SYNC_GROUP: {
                SyncGroupRequestData d = new SyncGroupRequestData().setGroupId(GROUP).setGenerationId(1).setMemberId("m");
                d.assignments().add(new SyncGroupRequestData.SyncGroupRequestAssignment().setMemberId("m").setAssignment(new byte[1]));
                return d;
            }
            case HEARTBEAT:
                return new HeartbeatRequestData().setGroupId(GROUP).setGenerationId(1).setMemberId("m");
            case LEAVE_GROUP:
                return v >= 3 ? new LeaveGroupRequestData().setGroupId(GROUP)
                        .setMembers(List.of(new LeaveGroupRequestData.MemberIdentity().setMemberId("m")))
                        : new LeaveGroupRequestData().setGroupId(GROUP).setMemberId("m");
            case OFFSET_COMMIT: {
                OffsetCommitRequestData d = new OffsetCommitRequestData().setGroupId(GROUP).setGenerationIdOrMemberEpoch(-1)
                        .setMemberId("");
                OffsetCommitRequestData.OffsetCommitRequestTopic t = new OffsetCommitRequestData.OffsetCommitRequestTopic().setName(name);
                t.partitions().add(new OffsetCommitRequestData.OffsetCommitRequestPartition().setPartitionIndex(0)
                        .setCommittedOffset(1).setCommittedMetadata("m").setCommittedLeaderEpoch(v >= 6 ? 0 : -1));
                t.partitions().add(new OffsetCommitRequestData.OffsetCommitRequestPartition().setPartitionIndex(9)
                        .setCommittedOffset(1));
                d.topics().add(t);
                return d;
            }
            case OFFSET_FETCH: {
                OffsetFetchRequestData d = new OffsetFetchRequestData();
                if (v >= 8) {
                    d.groups().add(new OffsetFetchRequestData.OffsetFetchRequestGroup().setGroupId(GROUP).setTopics(null));
                    d.groups().add(new OffsetFetchRequestData.OffsetFetchRequestGroup().setGroupId("other")
                            .setTopics(List.of(new OffsetFetchRequestData.OffsetFetchRequestTopics().setName(name)
                                    .setPartitionIndexes(List.of(0, 1)))));
                } else {
                    d.setGroupId(GROUP).setTopics(List.of(new OffsetFetchRequestData.OffsetFetchRequestTopic().setName(name)
                            .setPartitionIndexes(List.of(0, 1))));
                }
                return d;
            }
            case LIST_GROUPS: {
                ListGroupsRequestData d = new ListGroupsRequestData();
                if (v >= 4) {
                    d.setStatesFilter(List.of("Empty", "Stable", "CompletingRebalance"));
                }
                if (v >= 5) {
                    d.setTypesFilter(List.of("classic", "consumer"));
                }
                return d;
            }
            case DESCRIBE_GROUPS:
                return new DescribeGroupsRequestData().setGroups(List.of(GROUP, "sweep-join-1", "none"))
                        .setIncludeAuthorizedOperations(v >= 3);
            case DELETE_GROUPS:
                return new DeleteGroupsRequestData().setGroupsNames(List.of("none-" + id, "sweep-join-1"));
            case OFFSET_DELETE: {
                OffsetDeleteRequestData d = new OffsetDeleteRequestData().setGroupId(GROUP);
                OffsetDeleteRequestData.OffsetDeleteRequestTopic t = new OffsetDeleteRequestData.OffsetDeleteRequestTopic().setName(name);
                t.partitions().add(new OffsetDeleteRequestData.OffsetDeleteRequestPartition().setPartitionIndex(0));
                d.topics().add(t);
                return d;
            }
            default:
                throw new AssertionError("no request for " + key);
        }
    }

}
