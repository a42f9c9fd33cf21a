package io.chronik.raft.internal;

/**
 * The automatic leader rebalance settings, Kafka's names and defaults (see {@link LeaderBalancer}).
 *
 * @param enabled                      {@code auto.leader.rebalance.enable}
 * @param checkIntervalMs              {@code leader.imbalance.check.interval.seconds}, in ms
 * @param imbalancePerBrokerPercentage {@code leader.imbalance.per.broker.percentage}
 */
record LeaderBalance(boolean enabled, long checkIntervalMs, int imbalancePerBrokerPercentage) {
    /** Kafka's defaults: enabled, every 300 s, above 10 %. */
    static final LeaderBalance DEFAULT = new LeaderBalance(true, 300_000, 10);

    LeaderBalance {
        if (checkIntervalMs < 1) {
            throw new IllegalArgumentException("leader.imbalance.check.interval.seconds must be >= 1");
        }
        if (imbalancePerBrokerPercentage < 0 || imbalancePerBrokerPercentage > 100) {
            throw new IllegalArgumentException("leader.imbalance.per.broker.percentage must be 0-100, got "
                    + imbalancePerBrokerPercentage);
        }
    }
}
