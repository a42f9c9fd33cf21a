package io.chronik.raft.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntUnaryOperator;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka's automatic leader rebalance ({@code auto.leader.rebalance.enable}) on data groups: every
 * {@code leader.imbalance.check.interval.seconds} the metadata leader (Kafka's controller) counts, for each live (unfenced)
 * broker, the partitions whose preferred leader it is (their group's first replica) but which another node leads.
 * When that share exceeds {@code leader.imbalance.per.broker.percentage}, it asks {@link PreferredLeaders} to move the
 * leadership of those partitions' groups back to the broker. Nodes that do not lead the metadata group do nothing.
 *
 * <p>Runs on the node's scheduler; the transfers run on {@link PreferredLeaders}' threads, and a check is skipped
 * while the transfers of the previous one are still under way.
 */
final class LeaderBalancer {
    private static final Logger LOG = LoggerFactory.getLogger(LeaderBalancer.class);

    private final LocalServer server;
    private final Supplier<MetadataState> metadata;
    private final PreferredLeaders leaders;
    private volatile CompletableFuture<?> running = CompletableFuture.completedFuture(null);

    LeaderBalancer(LocalServer server, Supplier<MetadataState> metadata, PreferredLeaders leaders) {
        this.server = server;
        this.metadata = metadata;
        this.leaders = leaders;
    }

    /** Schedules the periodic check if the settings enable it. */
    void start() {
        LeaderBalance b = server.settings().leaderBalance();
        if (!b.enabled()) {
            LOG.info("automatic leader rebalance is disabled");
            return;
        }
        server.scheduler().scheduleWithFixedDelay(this::check, b.checkIntervalMs(), b.checkIntervalMs(), TimeUnit.MILLISECONDS);
    }

    /** One check (on the metadata leader only). */
    void check() {
        try {
            if (server.isStopping() || server.metadataLeader() != server.settings().nodeId() || !running.isDone()) {
                return;
            }
            MetadataState s = metadata.get();
            Map<Integer, List<Integer>> imbalanced = imbalancedGroups(s, g -> leaders.leaderOf(s, g),
                    server.settings().leaderBalance().imbalancePerBrokerPercentage());
            if (imbalanced.isEmpty()) {
                return;
            }
            List<Integer> groupNos = new ArrayList<>();
            imbalanced.values().forEach(groupNos::addAll);
            LOG.info("leader imbalance above {}% for brokers {}: electing preferred leaders of data groups {}",
                    server.settings().leaderBalance().imbalancePerBrokerPercentage(), imbalanced.keySet(), groupNos);
            running = leaders.electGroups(groupNos);
        } catch (RuntimeException e) {
            LOG.warn("leader imbalance check failed", e);
        }
    }

    /**
     * For each live (unfenced) broker whose imbalance ratio (partitions it prefers but does not lead, over partitions it
     * prefers) exceeds {@code percentage} %, the data groups it prefers but does not lead. Pure; deterministic.
     *
     * @param leaderOf the current leader of a data group (-1 if unknown)
     */
    static Map<Integer, List<Integer>> imbalancedGroups(MetadataState s, IntUnaryOperator leaderOf, int percentage) {
        Map<Integer, Integer> preferredPartitions = new TreeMap<>();
        Map<Integer, Integer> notLedPartitions = new TreeMap<>();
        Map<Integer, List<Integer>> notLedGroups = new TreeMap<>();
        Map<Integer, Integer> leaderCache = new TreeMap<>();
        s.partitionsPerGroup().forEach((groupNo, partitions) -> {
            MetadataState.Group g = s.groups.get(groupNo);
            if (g == null || g.replicas().isEmpty() || partitions == 0) {
                return;
            }
            int preferred = g.replicas().get(0);
            if (!s.isLive(preferred)) {
                return;
            }
            preferredPartitions.merge(preferred, partitions, Integer::sum);
            int leader = leaderCache.computeIfAbsent(groupNo, leaderOf::applyAsInt);
            if (leader != preferred) {
                notLedPartitions.merge(preferred, partitions, Integer::sum);
                notLedGroups.computeIfAbsent(preferred, k -> new ArrayList<>()).add(groupNo);
            }
        });
        Map<Integer, List<Integer>> result = new TreeMap<>();
        notLedGroups.forEach((broker, groupNos) -> {
            long notLed = notLedPartitions.get(broker);
            long total = preferredPartitions.get(broker);
            if (notLed * 100 > percentage * total) {
                result.put(broker, groupNos);
            }
        });
        return result;
    }
}
