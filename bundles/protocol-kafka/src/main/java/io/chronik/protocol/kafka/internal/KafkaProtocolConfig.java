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

    @AttributeDefinition(name = "io.threads", description = "Netty event-loop threads serving connections (0 = number of cores)")
    int io_threads() default 0;

    @AttributeDefinition(name = "max.inflight.requests", description = "Requests one connection may have in flight before the server stops reading from it")
    int max_inflight_requests() default 100;
}
