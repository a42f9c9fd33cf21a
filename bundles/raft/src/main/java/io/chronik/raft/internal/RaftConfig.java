package io.chronik.raft.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "Chronik Raft consensus", description = "The node's identity, Raft peers, storage and consensus tuning")
@interface RaftConfig {

    @AttributeDefinition(description = "This node's id (unique in the cluster)")
    int node_id() default 1;

    @AttributeDefinition(description = "host:port of this node's Raft server")
    String raft_addr() default "127.0.0.1:9093";

    @AttributeDefinition(description = "The metadata group's members: empty for a single node, else id@host:port,id@host:port,...")
    String peers() default "";

    @AttributeDefinition(description = "Data directory: Raft storage under <data.dir>/raft, partition logs under <data.dir>/logs")
    String data_dir() default "data";

    @AttributeDefinition(description = "host:port advertised to Kafka clients")
    String advertised_addr() default "localhost:9092";

    @AttributeDefinition(description = "The broker's rack, empty for none")
    String rack() default "";

    @AttributeDefinition(description = "LDAP filter choosing the Raft transport, e.g. (transport.name=grpc) or (transport.name=memory)")
    String transport_target() default "(transport.name=grpc)";

    @AttributeDefinition(description = "raft: fsync the Raft log before an entry commits (survives power loss); "
            + "os: write to the OS before commit, fsync asynchronously (survives process crashes, like Kafka's default)")
    String flush_policy() default "raft";

    @AttributeDefinition(description = "Partitions of a topic created without a partition count")
    int default_partitions() default 1;

    @AttributeDefinition(description = "Replication factor of a topic created without one")
    int default_replication_factor() default 1;

    @AttributeDefinition(description = "Data groups (Raft divisions) the cluster creates one per partition before partitions "
            + "start to share groups; 0 = automatic: max(1, processors / 2) for each node in peers")
    int division_budget() default 0;

    @AttributeDefinition(description = "Minimum Raft election timeout (ms)")
    long election_timeout_min_ms() default 1000;

    @AttributeDefinition(description = "Maximum Raft election timeout (ms)")
    long election_timeout_max_ms() default 2000;

    @AttributeDefinition(description = "Timeout of a consensus request (ms)")
    long request_timeout_ms() default 10000;

    @AttributeDefinition(description = "Interval of the retention check on every replica (ms)")
    long retention_check_interval_ms() default 300000;

    @AttributeDefinition(description = "Raft entries between two snapshots (log checkpoints) of a group "
            + "(CHRONIK_SNAPSHOT_LOG_THRESHOLD); -1: snapshot.threshold.entries, or 10000 if that is not set either")
    long snapshot_log_threshold() default -1;

    @AttributeDefinition(description = "Former name of snapshot.log.threshold, still read when that is not set; -1: not set")
    long snapshot_threshold_entries() default -1;

    @AttributeDefinition(description = "Archive snapshots to the object store (CHRONIK_SNAPSHOT_ENABLED); local Raft "
            + "snapshots are taken regardless, log compaction needs them")
    boolean snapshot_enabled() default true;

    @AttributeDefinition(description = "Seconds after which a group that applied entries since its last snapshot takes "
            + "one (CHRONIK_SNAPSHOT_TIME_THRESHOLD_SECS); 0: only by snapshot.log.threshold")
    long snapshot_time_threshold_secs() default 3600;

    @AttributeDefinition(description = "Snapshot uploads to the object store at once on this node (CHRONIK_SNAPSHOT_MAX_CONCURRENT)")
    int snapshot_max_concurrent() default 2;

    @AttributeDefinition(description = "Archived snapshots kept per group in the object store (CHRONIK_SNAPSHOT_RETENTION_COUNT)")
    int snapshot_retention_count() default 3;

    @AttributeDefinition(description = "Codec of archived snapshots: gzip, zstd or none (CHRONIK_SNAPSHOT_COMPRESSION); "
            + "the archive's codec= setting applies it, it is checked here")
    String snapshot_compression() default "gzip";

    @AttributeDefinition(description = "Largest Raft entry (batched produce requests) in bytes; also the largest single append")
    int raft_entry_max_bytes() default 2097152;

    @AttributeDefinition(description = "Raft entries of one data group in flight at once (the next one batches everything queued meanwhile)")
    int append_max_inflight() default 2;

    @AttributeDefinition(description = "Size of a Ratis log segment file (bytes)")
    long raft_segment_size_bytes() default 16777216;

    @AttributeDefinition(description = "Whether the metadata leader moves partition leadership back to preferred replicas "
            + "(Kafka's auto.leader.rebalance.enable)")
    boolean auto_leader_rebalance_enable() default true;

    @AttributeDefinition(description = "Seconds between two leader imbalance checks (Kafka's leader.imbalance.check.interval.seconds)")
    long leader_imbalance_check_interval_seconds() default 300;

    @AttributeDefinition(description = "Share of a broker's preferred partitions led elsewhere (%) above which their "
            + "leadership is moved back (Kafka's leader.imbalance.per.broker.percentage)")
    int leader_imbalance_per_broker_percentage() default 10;

    @AttributeDefinition(description = "A broker whose heartbeats stop reaching the metadata leader for this long is fenced: "
            + "left out of Metadata and of every in-sync replica set (ms; KRaft's broker.session.timeout.ms). "
            + "Heartbeats go every quarter of it")
    long session_timeout_ms() default 9000;
}
