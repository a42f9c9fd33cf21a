package io.chronik.protocol.kafka.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(id = "io.chronik.protocol.kafka", name = "Chronik Kafka protocol",
        description = "The Kafka wire-protocol listener")
@interface KafkaProtocolConfig {

    @AttributeDefinition(name = "kafka.addr", description = "host:port the Kafka listener binds (host may be empty or 0.0.0.0 for all interfaces)")
    String kafka_addr() default "0.0.0.0:9092";

    @AttributeDefinition(name = "node.id", description = "This broker's node id (informational; metadata comes from the consensus provider)")
    int node_id() default 0;

    @AttributeDefinition(name = "max.request.bytes", description = "Largest request frame accepted; a larger or negative length prefix closes the connection")
    int max_request_bytes() default 100 * 1024 * 1024;

    @AttributeDefinition(name = "auto.create.topics.enable", description = "Create unknown topics on Metadata (when the client allows it) and Produce requests")
    boolean auto_create_topics_enable() default true;

    @AttributeDefinition(name = "num.partitions", description = "Partition count of auto-created topics and of CreateTopics with num_partitions -1")
    int num_partitions() default 1;

    @AttributeDefinition(name = "default.replication.factor", description = "Replication factor of auto-created topics and of CreateTopics with replication_factor -1")
    short default_replication_factor() default 1;

    @AttributeDefinition(name = "fetch.max.wait.cap.ms", description = "Upper bound on a Fetch request's max_wait_ms (long polling)")
    int fetch_max_wait_cap_ms() default 30000;

    @AttributeDefinition(name = "fetch.from.followers", description = "Whether followers serve consumer fetches (with read-your-writes through ReadIndex) and the leader names a same-rack replica to consumers that declare client.rack (KIP-392)")
    boolean fetch_from_followers() default true;

    @AttributeDefinition(name = "fetch.follower.max.wait.ms", description = "How long a follower waits for its ReadIndex barrier before it sends the consumer back to the leader")
    int fetch_follower_max_wait_ms() default 5000;

    @AttributeDefinition(name = "io.threads", description = "Netty event-loop threads serving connections (0 = number of cores)")
    int io_threads() default 0;

    @AttributeDefinition(name = "max.inflight.requests", description = "Requests one connection may have in flight before the server stops reading from it")
    int max_inflight_requests() default 100;

    @AttributeDefinition(name = "group.initial.rebalance.delay.ms", description = "How long the first rebalance of an empty group waits for more members to join")
    int group_initial_rebalance_delay_ms() default 3000;

    @AttributeDefinition(name = "group.min.session.timeout.ms", description = "Smallest session timeout a group member may ask for")
    int group_min_session_timeout_ms() default 6000;

    @AttributeDefinition(name = "group.max.session.timeout.ms", description = "Largest session timeout a group member may ask for")
    int group_max_session_timeout_ms() default 1800000;

    @AttributeDefinition(name = "group.max.size", description = "Most members one consumer group may have")
    int group_max_size() default Integer.MAX_VALUE;

    @AttributeDefinition(name = "offsets.topic.num.partitions", description = "Partitions of __consumer_offsets (fixed once the topic exists); each is a Raft-replicated partition whose leader coordinates its groups")
    int offsets_topic_num_partitions() default 8;

    @AttributeDefinition(name = "offsets.topic.replication.factor", description = "Replication factor of __consumer_offsets, capped by the number of nodes the cluster is configured with (--peers); the topic is created once that many brokers have registered")
    int offsets_topic_replication_factor() default 3;

    @AttributeDefinition(name = "offsets.retention.minutes", description = "How long a group without members keeps its committed offsets")
    int offsets_retention_minutes() default 10080;

    @AttributeDefinition(name = "offsets.retention.check.interval.ms", description = "How often groups are checked for expired offsets")
    long offsets_retention_check_interval_ms() default 600000;

    @AttributeDefinition(name = "offset.metadata.max.bytes", description = "Largest metadata string of an offset commit")
    int offset_metadata_max_bytes() default 4096;

    @AttributeDefinition(name = "metrics.topic.labels.max", description = "Most topics whose traffic metrics (chronik_topic_bytes_in/records_in/bytes_out) get a topic label of their own; further topics are added under topic=\"_other\" (0: all of them)")
    int metrics_topic_labels_max() default ServerSettings.DEFAULT_METRICS_TOPIC_LABELS_MAX;
}
