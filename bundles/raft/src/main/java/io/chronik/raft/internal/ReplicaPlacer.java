package io.chronik.raft.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

import io.chronik.raft.internal.MetadataState.Broker;
import io.chronik.raft.internal.MetadataState.Group;
import io.chronik.raft.internal.MetadataState.Topic;

/**
 * Decides where new partitions go: which brokers hold their replicas (the first one is the preferred leader) and
 * which data group carries them. A pure function of the metadata state being built, so that every node applying
 * the same CREATE_TOPIC or CREATE_PARTITIONS entry reaches the same decision whichever node received the request.
 *
 * <p>Replicas go to the {@linkplain MetadataState#eligible eligible} brokers by load: the preferred leader (first
 * replica) is the broker leading the fewest partitions, the other replicas are the brokers holding the fewest
 * partitions, first on racks the partition does not use yet (Kafka's rule: one partition's replicas on distinct
 * racks as far as possible; a broker without a rack counts as a rack of its own). Ties go to the lowest node id.
 * Leader balance comes first: preferred leaders per broker differ by at most one, partitions held by a little more.
 *
 * <p>Groups: while the cluster has fewer groups than the division budget, each partition gets a new group with the
 * chosen replica list. Beyond it, partitions share groups: the group whose replica list is exactly the chosen one,
 * else the existing group with as many eligible replicas that fits the load best (most racks, least loaded preferred
 * leader, fewest partitions on its members, fewest partitions in the group, lowest number); a new group only if no
 * group has that many eligible replicas. An explicit assignment is kept exactly: a new group under the budget, else
 * the group with that exact replica list carrying the fewest partitions, else a new group.
 *
 * <p>Not thread-safe: works on the builder of the caller's thread (the metadata state machine's apply thread).
 */
final class ReplicaPlacer {
    private final MetadataState.Builder state;
    private final int budget;
    /** Partitions held per broker, as replica. */
    private final Map<Integer, Integer> replicas = new TreeMap<>();
    /** Partitions whose preferred leader (first replica) each broker is. */
    private final Map<Integer, Integer> leaders = new TreeMap<>();
    /** Partitions carried per group. */
    private final Map<Integer, Integer> groupLoad = new TreeMap<>();

    /**
     * @param state  the state being built; new groups are added to it
     * @param budget the division budget: groups are shared once the cluster has this many
     */
    ReplicaPlacer(MetadataState.Builder state, int budget) {
        this.state = state;
        this.budget = budget;
        for (Group g : state.groups.values()) {
            groupLoad.put(g.no(), 0);
        }
        for (Topic t : state.topics.values()) {
            for (Integer g : t.groups()) {
                Group group = state.groups.get(g);
                if (group != null) {
                    count(group);
                }
            }
        }
    }

    /** The groups of {@code count} new partitions with {@code rf} replicas each, placed by load. */
    List<Integer> place(int count, int rf) {
        List<Broker> eligible = MetadataState.eligible(state.brokers, state.decommissioned);
        List<Integer> placed = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            List<Integer> wanted = replicasFor(eligible, rf);
            Group group = null;
            if (state.groups.size() >= budget) {
                group = exactGroup(wanted);
                if (group == null) {
                    group = bestSharedGroup(eligible, rf);
                }
            }
            if (group == null) {
                group = newGroup(wanted);
            }
            count(group);
            placed.add(group.no());
        }
        return placed;
    }

    /** The groups of new partitions with the given replica lists (already {@linkplain #checkAssignment checked}). */
    List<Integer> placeAssigned(List<List<Integer>> assignment) {
        List<Integer> placed = new ArrayList<>(assignment.size());
        for (List<Integer> wanted : assignment) {
            Group group = state.groups.size() < budget ? null : exactGroup(wanted);
            if (group == null) {
                group = newGroup(wanted);
            }
            count(group);
            placed.add(group.no());
        }
        return placed;
    }

    /**
     * The replica list a new partition would get now: first the broker leading the fewest partitions (the preferred
     * leader), then the brokers holding the fewest partitions, on racks the partition does not use yet first.
     */
    List<Integer> replicasFor(List<Broker> eligible, int rf) {
        List<Integer> chosen = new ArrayList<>(rf);
        Set<String> racks = new HashSet<>();
        for (int r = 0; r < rf && r < eligible.size(); r++) {
            Broker best = null;
            for (Broker b : eligible) {
                if (!chosen.contains(b.nodeId()) && (best == null || better(b, best, racks, r == 0))) {
                    best = b;
                }
            }
            chosen.add(best.nodeId());
            racks.add(rackOf(best));
        }
        return chosen;
    }

    /**
     * The replica list {@code current} becomes when broker {@code leaving} gives up its replica (decommissioning): the
     * broker taking its place keeps its position, so it becomes the preferred leader where {@code leaving} was first,
     * and is chosen the way {@link #replicasFor} chooses a replica in that position: an eligible broker not in the
     * list, on a rack the list's other replicas do not use first, then by load, then by lower node id. The choice
     * moves the load of {@code partitions} partitions from {@code leaving} to it, so successive calls spread the
     * moves over the brokers.
     *
     * @param eligible the brokers a new replica may go to; {@code leaving} is never chosen
     * @return the new list, {@code current} itself if it does not hold {@code leaving}, or null if every eligible
     *         broker already holds a replica in it
     */
    List<Integer> replace(List<Integer> current, int leaving, List<Broker> eligible, int partitions) {
        int position = current.indexOf(leaving);
        if (position < 0) {
            return current;
        }
        Set<String> racks = new HashSet<>();
        for (Integer r : current) {
            if (r != leaving) {
                Broker known = state.brokers.get(r);
                racks.add(known != null ? rackOf(known) : "node:" + r);
            }
        }
        Broker best = null;
        for (Broker b : eligible) {
            if (b.nodeId() != leaving && !current.contains(b.nodeId())
                    && (best == null || better(b, best, racks, position == 0))) {
                best = b;
            }
        }
        if (best == null) {
            return null;
        }
        List<Integer> next = new ArrayList<>(current);
        next.set(position, best.nodeId());
        replicas.merge(leaving, -partitions, Integer::sum);
        replicas.merge(best.nodeId(), partitions, Integer::sum);
        if (position == 0) {
            leaders.merge(leaving, -partitions, Integer::sum);
            leaders.merge(best.nodeId(), partitions, Integer::sum);
        }
        return List.copyOf(next);
    }

    /**
     * Whether {@code b} is a better next replica than {@code current} (both unused by the partition): for the
     * preferred leader by fewest led, then fewest held partitions; for the others by unused rack, then fewest held,
     * then fewest led partitions; then by lower node id.
     */
    private boolean better(Broker b, Broker current, Set<String> usedRacks, boolean leader) {
        int c = Boolean.compare(usedRacks.contains(rackOf(b)), usedRacks.contains(rackOf(current)));
        if (c == 0) {
            c = leader ? compare(leaders, b, current) : compare(replicas, b, current);
        }
        if (c == 0) {
            c = leader ? compare(replicas, b, current) : compare(leaders, b, current);
        }
        return c < 0 || (c == 0 && b.nodeId() < current.nodeId());
    }

    private static int compare(Map<Integer, Integer> counts, Broker a, Broker b) {
        return Integer.compare(counts.getOrDefault(a.nodeId(), 0), counts.getOrDefault(b.nodeId(), 0));
    }

    private static String rackOf(Broker b) {
        return b.rack() != null ? "rack:" + b.rack() : "node:" + b.nodeId();
    }

    private Group exactGroup(List<Integer> wanted) {
        Group best = null;
        for (Group g : state.groups.values()) {
            if (g.replicas().equals(wanted) && (best == null || groupLoad.get(g.no()) < groupLoad.get(best.no()))) {
                best = g;
            }
        }
        return best;
    }

    private Group bestSharedGroup(List<Broker> eligible, int rf) {
        Map<Integer, Broker> byId = new TreeMap<>();
        for (Broker b : eligible) {
            byId.put(b.nodeId(), b);
        }
        Group best = null;
        long[] bestScore = null;
        for (Group g : state.groups.values()) {
            if (g.replicas().size() != rf || !byId.keySet().containsAll(g.replicas())) {
                continue;
            }
            Set<String> racks = new HashSet<>();
            long members = 0;
            for (Integer r : g.replicas()) {
                racks.add(rackOf(byId.get(r)));
                members += replicas.getOrDefault(r, 0);
            }
            long[] score = {-racks.size(), leaders.getOrDefault(g.replicas().get(0), 0), members, groupLoad.get(g.no())};
            if (best == null || Arrays.compare(score, bestScore) < 0) {
                best = g;
                bestScore = score;
            }
        }
        return best;
    }

    private Group newGroup(List<Integer> replicaList) {
        int no = state.nextGroupNo++;
        Group g = new Group(no, replicaList);
        state.groups.put(no, g);
        groupLoad.put(no, 0);
        return g;
    }

    private void count(Group g) {
        groupLoad.merge(g.no(), 1, Integer::sum);
        for (Integer r : g.replicas()) {
            replicas.merge(r, 1, Integer::sum);
        }
        if (!g.replicas().isEmpty()) {
            leaders.merge(g.replicas().get(0), 1, Integer::sum);
        }
    }

    /**
     * Checks an explicit assignment (Kafka's rules for manual assignments): at least one partition, each a
     * non-empty list of distinct brokers from {@code eligible}, all of the same length ({@code expectedRf} if not -1).
     *
     * @param eligible the brokers new replicas may go to ({@link MetadataState#liveBrokers()})
     * @return why the assignment is refused, or {@code null} if it is acceptable
     */
    static String checkAssignment(List<Broker> eligible, List<List<Integer>> assignment, int expectedRf) {
        Set<Integer> live = new HashSet<>();
        for (Broker b : eligible) {
            live.add(b.nodeId());
        }
        if (assignment == null || assignment.isEmpty()) {
            return "the manual partition assignment names no partitions";
        }
        int rf = expectedRf;
        for (int p = 0; p < assignment.size(); p++) {
            List<Integer> list = assignment.get(p);
            if (list == null || list.isEmpty()) {
                return "the manual partition assignment includes an empty replica list";
            }
            Set<Integer> seen = new HashSet<>();
            for (Integer id : list) {
                if (!seen.add(Objects.requireNonNull(id))) {
                    return "the manual partition assignment includes broker " + id + " more than once";
                }
                if (!live.contains(id)) {
                    return "the manual partition assignment includes broker " + id + ", which is not a live registered broker";
                }
            }
            if (rf != -1 && list.size() != rf) {
                return "the manual partition assignment includes a partition with " + list.size()
                        + " replica(s), but this is not consistent with the other partitions, which have " + rf + " replica(s)";
            }
            rf = list.size();
        }
        return null;
    }

    /**
     * The placement of entries written before balanced placement existed: a new group per partition while the
     * cluster has fewer than {@code budget} groups, with replicas assigned round robin by group number, else the
     * existing group with {@code rf} registered replicas carrying the fewest partitions. Kept so that replaying an
     * old metadata log places its topics exactly as they were placed then.
     */
    static List<Integer> legacy(MetadataState.Builder state, int count, int rf, int budget) {
        List<Integer> brokerIds = new ArrayList<>(state.brokers.keySet());
        List<Integer> placed = new ArrayList<>(count);
        Map<Integer, Integer> load = new TreeMap<>();
        for (Integer g : state.groups.keySet()) {
            load.put(g, 0);
        }
        for (Topic t : state.topics.values()) {
            for (Integer g : t.groups()) {
                load.merge(g, 1, Integer::sum);
            }
        }
        for (int i = 0; i < count; i++) {
            Integer chosen = null;
            if (state.groups.size() >= budget) {
                int best = Integer.MAX_VALUE;
                for (Group g : state.groups.values()) {
                    int l = load.getOrDefault(g.no(), 0);
                    if (g.replicas().size() == rf && brokerIds.containsAll(g.replicas()) && l < best) {
                        best = l;
                        chosen = g.no();
                    }
                }
            }
            if (chosen == null) {
                int no = state.nextGroupNo++;
                List<Integer> replicaList = new ArrayList<>(rf);
                for (int r = 0; r < rf; r++) {
                    replicaList.add(brokerIds.get((no + r) % brokerIds.size()));
                }
                state.groups.put(no, new Group(no, replicaList));
                chosen = no;
            }
            load.merge(chosen, 1, Integer::sum);
            placed.add(chosen);
        }
        return placed;
    }
}
