package io.chronik.protocol.kafka.internal.group;

/** The states of a classic group, with the names Kafka reports (ListGroups, DescribeGroups). */
enum GroupState {
    /** No members; may still hold committed offsets. */
    EMPTY("Empty"),
    /** Members are (re)joining; the rebalance completes when all have joined or the rebalance timeout passes. */
    PREPARING_REBALANCE("PreparingRebalance"),
    /** The members have a new generation; waiting for the leader's assignment (SyncGroup). */
    COMPLETING_REBALANCE("CompletingRebalance"),
    /** Every member has its assignment. */
    STABLE("Stable"),
    /** Deleted, or moved to another coordinator. */
    DEAD("Dead");

    final String kafkaName;

    GroupState(String kafkaName) {
        this.kafkaName = kafkaName;
    }

    /** Whether a group may move to this state from {@code from} (Kafka's valid previous states). */
    boolean canFollow(GroupState from) {
        return switch (this) {
            case EMPTY -> from == PREPARING_REBALANCE;
            case PREPARING_REBALANCE -> from == STABLE || from == COMPLETING_REBALANCE || from == EMPTY;
            case COMPLETING_REBALANCE -> from == PREPARING_REBALANCE;
            case STABLE -> from == COMPLETING_REBALANCE;
            case DEAD -> true;
        };
    }
}
