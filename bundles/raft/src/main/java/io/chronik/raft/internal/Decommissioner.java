package io.chronik.raft.internal;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.consensus.ConsensusException;
import io.chronik.api.consensus.ConsensusException.Reason;
import io.chronik.api.consensus.Reassignment;
import io.chronik.raft.internal.MetadataState.Broker;

/**
 * Decommissions a broker: moves every replica it holds to other brokers and then its metadata vote away, so that the
 * node can be stopped without leaving a partition under-replicated or the metadata group short of a voter.
 *
 * <p>One decommission of node N runs in steps, each computed afresh from the applied metadata (so a step repeated
 * after a restart or a lost answer does no harm):
 * <ol>
 * <li>{@link #plan}: for every partition with a replica on N, N's replacement (by load and rack, as
 * {@link ReplicaPlacer} places new replicas; in N's position, so a partition N preferred to lead gets the replacement
 * as its preferred leader). Refused, before anything changes, if some partition has no broker left to take the
 * replica (too few live, unfenced brokers outside its replica list) or has a replica on a fenced broker or on
 * another broker being decommissioned.</li>
 * <li>Marks N ({@link DecommissionBroker}): placement puts no new replica on it from then on.</li>
 * <li>Starts the reassignment of every partition of the plan ({@code reassignPartition}; one metadata entry each, the
 * moves themselves run in the background) that is not already being moved away from N.</li>
 * <li>Once no partition has a replica on N (current replicas or a reassignment's target), makes N a listener of the
 * metadata group instead of a voter (after moving the metadata leadership away from it if it leads). A listener
 * counts for no quorum, so the node can be stopped; it keeps applying the metadata while it runs. Refused if N is
 * the only voter, or if the voters left would not have a live majority.</li>
 * </ol>
 * {@link #decommission} runs the first step on the caller's thread and the others every {@code intervalMs} on
 * {@code executor} until the decommission is done or refused; {@link #status} only reads. Both answer one line:
 * {@code "in progress: ..."}, {@code "ok: ..."} or {@code "error: ..."}.
 *
 * <p>Thread-safe: steps never overlap (they hold a lock of their own). A step blocks its thread for at most about
 * {@code timeoutMs} for the metadata writes and for each Ratis configuration change.
 */
final class Decommissioner {
    private static final Logger LOG = LoggerFactory.getLogger(Decommissioner.class);

    /** The metadata group's configuration as decommissioning sees and changes it ({@link MetadataMembership}). */
    interface Voters {
        /** The node ids of the metadata group's voters, ascending, in this node's view of its configuration. */
        List<Integer> voters() throws ConsensusException;

        /** The node id of the metadata group's leader, or -1 while there is none. */
        int leader();

        /** Moves the metadata group's leadership to voter {@code nodeId}; blocks until done or failed. */
        void transferLeadership(int nodeId) throws ConsensusException;

        /** Makes voter {@code nodeId} a listener of the metadata group; blocks until committed or refused. */
        String demoteVoter(int nodeId) throws ConsensusException;
    }

    /** {@code ClusterMetadata.reassignPartition}. */
    interface Reassigner {
        CompletionStage<Void> reassign(String topic, int partition, List<Integer> targetReplicas);
    }

    /** One partition to move: its replica list with the decommissioned broker replaced. */
    record Move(String topic, int partition, List<Integer> target) {
    }

    /**
     * What is left to do for one broker.
     *
     * @param moves     the reassignments to start (partitions on the broker that are not already moving away from it)
     * @param remaining partitions that still have a replica on the broker (moves and moves under way)
     * @param refusal   why the decommission cannot go on, or null
     */
    record Plan(List<Move> moves, int remaining, String refusal) {
    }

    private final Supplier<MetadataState> state;
    private final Supplier<Collection<Reassignment>> reassignments;
    private final Reassigner reassigner;
    private final Function<MetaCommand, CompletionStage<?>> writer;
    private final Voters voters;
    private final ScheduledExecutorService executor;
    private final long intervalMs;
    private final long timeoutMs;
    private final Map<Integer, Job> jobs = new ConcurrentHashMap<>();
    /** Held by a step, so that steps never overlap. */
    private final Object steps = new Object();

    /**
     * @param state         the metadata as applied on this node
     * @param reassignments the reassignments in progress, as applied on this node
     * @param reassigner    starts a reassignment (completes once it is recorded in the metadata)
     * @param writer        submits a metadata command (completes once applied on this node)
     * @param voters        reads and changes the metadata group's voters
     * @param executor      runs the steps after the first; the caller shuts it down
     * @param intervalMs    the pause between two steps
     * @param timeoutMs     how long a step waits for one metadata write
     */
    Decommissioner(Supplier<MetadataState> state, Supplier<Collection<Reassignment>> reassignments, Reassigner reassigner,
            Function<MetaCommand, CompletionStage<?>> writer, Voters voters, ScheduledExecutorService executor,
            long intervalMs, long timeoutMs) {
        this.state = state;
        this.reassignments = reassignments;
        this.reassigner = reassigner;
        this.writer = writer;
        this.voters = voters;
        this.executor = executor;
        this.intervalMs = intervalMs;
        this.timeoutMs = timeoutMs;
    }

    private static final class Job {
        final int nodeId;
        volatile String status = "in progress: starting";
        ScheduledFuture<?> next;

        Job(int nodeId) {
            this.nodeId = nodeId;
        }

        boolean finished() {
            return !status.startsWith("in progress");
        }
    }

    /**
     * Starts decommissioning {@code nodeId}, or, if that already runs or is done, reports its progress; a refused one
     * is started again. Blocks for the first step when it starts one.
     */
    String decommission(int nodeId) {
        Job started;
        synchronized (jobs) {
            Job job = jobs.get(nodeId);
            if (job != null && (!job.finished() || job.status.startsWith("ok"))) {
                return job.status;
            }
            started = new Job(nodeId);
            jobs.put(nodeId, started);
        }
        run(started);
        if (!started.finished()) {
            try {
                ScheduledFuture<?> next = executor.scheduleWithFixedDelay(() -> run(started), intervalMs, intervalMs,
                        TimeUnit.MILLISECONDS);
                synchronized (steps) {
                    started.next = next;
                    if (started.finished()) {
                        next.cancel(false);
                    }
                }
            } catch (RejectedExecutionException e) {
                started.status = "error: the node is stopping";
            }
        }
        return started.status;
    }

    /**
     * Cancels the decommission of {@code nodeId}: stops the job this node runs for it, if any, and takes the
     * decommissioned mark away, so that placement may put new replicas on it again. Reassignments already started go
     * on (cancel them with ListPartitionReassignments / AlterPartitionReassignments), and a metadata vote already
     * taken stays taken ({@code cluster add-voter} gives it back). Blocks until the mark is gone (at most the
     * metadata write timeout).
     */
    String cancel(int nodeId) {
        synchronized (jobs) {
            Job job = jobs.remove(nodeId);
            if (job != null) {
                synchronized (steps) {
                    if (job.next != null) {
                        job.next.cancel(false);
                    }
                    if (!job.finished()) {
                        job.status = "error: the decommission of node " + nodeId + " was cancelled";
                    }
                }
            }
        }
        try {
            writer.apply(new DecommissionBroker(nodeId, false)).toCompletableFuture().get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "error: interrupted";
        } catch (Exception e) {
            Throwable cause = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null ? e.getCause() : e;
            return "error: cancelling the decommission of node " + nodeId + " failed: " + cause.getMessage();
        }
        return "ok: node " + nodeId + " may receive new replicas again; moves already started go on"
                + " (kafka-reassign-partitions --cancel stops them), and a metadata vote already taken stays taken"
                + " (cluster add-voter gives it back)";
    }

    /**
     * The progress of the decommission of {@code nodeId} started on this node, without doing any work: its last answer,
     * or, if none was started here, "ok" for a node that is done (marked, no replicas, no vote) and "idle: ..." for
     * another. Never blocks.
     */
    String status(int nodeId) {
        Job job = jobs.get(nodeId);
        if (job != null) {
            return job.status;
        }
        MetadataState s = state.get();
        int holding = plan(s, nodeId, reassignments.get()).remaining();
        boolean voter;
        try {
            voter = voters.voters().contains(nodeId);
        } catch (ConsensusException e) {
            voter = true; // not known: not done
        }
        if (s.decommissioned.contains(nodeId) && holding == 0 && !voter) {
            return "ok: node " + nodeId + " holds no replicas and no metadata vote; it can be stopped";
        }
        return "idle: no decommission of node " + nodeId + " was started on this node; " + holding
                + " partition(s) have a replica on it" + (s.decommissioned.contains(nodeId) ? "; it is marked decommissioned" : "");
    }

    private void run(Job job) {
        synchronized (steps) {
            if (!job.finished()) {
                runStep(job);
            }
        }
    }

    private void runStep(Job job) {
        String status;
        try {
            status = step(job.nodeId);
        } catch (ConsensusException e) {
            status = "in progress: " + e.getMessage() + " (trying again)";
        } catch (RuntimeException e) {
            LOG.warn("decommissioning node {}: a step failed", job.nodeId, e);
            status = "in progress: " + e + " (trying again)";
        }
        if (!status.equals(job.status)) {
            LOG.info("decommissioning node {}: {}", job.nodeId, status);
        }
        job.status = status;
        if (job.finished() && job.next != null) {
            job.next.cancel(false);
        }
    }

    /** One step (see the class comment); the line to report. */
    private String step(int nodeId) throws ConsensusException {
        MetadataState s = state.get();
        if (!s.brokers.containsKey(nodeId)) {
            return "error: node " + nodeId + " is not a registered broker (brokers: " + s.brokers.keySet() + ")";
        }
        List<Integer> current = voters.voters();
        String quorum = quorumRefusal(s, nodeId, current);
        if (quorum != null) {
            return "error: " + quorum;
        }
        Plan plan = plan(s, nodeId, reassignments.get());
        if (plan.refusal() != null) {
            return "error: " + plan.refusal();
        }
        if (!s.decommissioned.contains(nodeId)) {
            await(writer.apply(new DecommissionBroker(nodeId, true)), "marking node " + nodeId + " decommissioned");
            plan = plan(state.get(), nodeId, reassignments.get());
        }
        Map<Move, CompletableFuture<?>> started = new LinkedHashMap<>();
        for (Move m : plan.moves()) {
            started.put(m, reassigner.reassign(m.topic(), m.partition(), m.target()).toCompletableFuture());
        }
        for (Map.Entry<Move, CompletableFuture<?>> e : started.entrySet()) {
            Move m = e.getKey();
            try {
                await(e.getValue(), "reassigning " + m.topic() + "-" + m.partition());
            } catch (ConsensusException refused) {
                Reason r = refused.reason();
                if (r == Reason.INVALID_REPLICA_ASSIGNMENT || r == Reason.INVALID_REQUEST) {
                    return "error: reassigning " + m.topic() + "-" + m.partition() + " to " + m.target()
                            + " was refused: " + refused.getMessage();
                }
                if (r != Reason.UNKNOWN_TOPIC && r != Reason.UNKNOWN_PARTITION) {
                    throw refused; // not available now: the next step tries again
                }
            }
        }
        if (!started.isEmpty()) {
            LOG.info("decommissioning node {}: started {} reassignment(s)", nodeId, started.size());
        }
        int remaining = plan(state.get(), nodeId, reassignments.get()).remaining();
        if (remaining > 0) {
            return "in progress: " + remaining + " partition(s) still have a replica on node " + nodeId;
        }
        if (current.contains(nodeId)) {
            if (voters.leader() == nodeId) {
                int to = current.stream().filter(v -> v != nodeId && s.isLive(v)).findFirst().orElseThrow();
                voters.transferLeadership(to);
                return "in progress: moved the metadata leadership from node " + nodeId + " to node " + to;
            }
            voters.demoteVoter(nodeId);
        }
        return "ok: node " + nodeId + " holds no replicas and no metadata vote; it can be stopped";
    }

    /**
     * Why {@code nodeId}'s vote cannot be taken away from the metadata group whose voters are {@code voters}, or null
     * if it can (or it has none): it is the only voter, or the other voters lack a live (unfenced) majority among them.
     */
    static String quorumRefusal(MetadataState s, int nodeId, List<Integer> voters) {
        if (!voters.contains(nodeId)) {
            return null;
        }
        List<Integer> rest = voters.stream().filter(v -> v != nodeId).toList();
        if (rest.isEmpty()) {
            return "node " + nodeId + " is the only voter of the metadata group; add a voter first "
                    + "(cluster add-voter) and decommission it then";
        }
        long live = rest.stream().filter(s::isLive).count();
        if (live <= rest.size() / 2) {
            return "without node " + nodeId + " the metadata group's voters " + rest + " would have " + live
                    + " live voter(s), not a majority; bring the fenced voters back first";
        }
        return null;
    }

    private void await(CompletionStage<?> stage, String what) throws ConsensusException {
        try {
            stage.toCompletableFuture().get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConsensusException(Reason.NOT_AVAILABLE, what + " was interrupted");
        } catch (TimeoutException e) {
            throw new ConsensusException(Reason.TIMEOUT, what + " timed out");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof ConsensusException ce) {
                throw ce;
            }
            throw new ConsensusException(Reason.NOT_AVAILABLE, what + " failed: " + cause, -1, cause);
        }
    }

    /**
     * The moves that take every replica off {@code nodeId} in {@code s}, given the reassignments in progress: a pure
     * function. A partition whose reassignment in progress already leaves {@code nodeId} out is not moved again (it
     * counts as remaining until its move is done); one whose reassignment target includes it gets that target with it
     * replaced. The partitions of one data group get the same new list, so they can keep sharing a group.
     */
    static Plan plan(MetadataState s, int nodeId, Collection<Reassignment> inProgress) {
        Map<String, Reassignment> moving = new HashMap<>();
        for (Reassignment r : inProgress) {
            moving.put(r.topic() + "-" + r.partition(), r);
        }
        /** A partition to move; {@code key} is its group's number, or its name if it is being reassigned. */
        record Holding(String topic, int partition, List<Integer> base, String key) {
        }
        List<Holding> holdings = new ArrayList<>();
        Map<String, Integer> weight = new HashMap<>();
        int remaining = 0;
        for (MetadataState.Topic t : s.topics.values()) {
            for (int p = 0; p < t.groups().size(); p++) {
                MetadataState.Group g = s.groups.get(t.groups().get(p));
                List<Integer> replicas = g == null ? List.of() : g.replicas();
                Reassignment r = moving.get(t.name() + "-" + p);
                List<Integer> base = r != null ? r.targetReplicas() : replicas;
                if (!replicas.contains(nodeId) && !base.contains(nodeId)) {
                    continue;
                }
                remaining++;
                if (base.contains(nodeId)) {
                    String key = r != null ? t.name() + "-" + p : "group " + t.groups().get(p);
                    holdings.add(new Holding(t.name(), p, base, key));
                    weight.merge(key, 1, Integer::sum);
                }
            }
        }
        List<Broker> eligible = s.liveBrokers().stream().filter(b -> b.nodeId() != nodeId).toList();
        ReplicaPlacer placer = new ReplicaPlacer(s.toBuilder(), Integer.MAX_VALUE);
        Map<String, List<Integer>> decided = new HashMap<>();
        List<Move> moves = new ArrayList<>();
        for (Holding h : holdings) {
            for (Integer r : h.base()) {
                if (r != nodeId && !s.isLive(r)) {
                    return new Plan(List.of(), remaining, "cannot decommission node " + nodeId + ": partition "
                            + h.topic() + "-" + h.partition() + " also has a replica on broker " + r
                            + ", which is fenced or unregistered; bring it back first");
                }
                if (r != nodeId && s.decommissioned.contains(r)) {
                    return new Plan(List.of(), remaining, "cannot decommission node " + nodeId + " now: partition "
                            + h.topic() + "-" + h.partition() + " also has a replica on node " + r
                            + ", which is being decommissioned; decommission one node at a time");
                }
            }
            List<Integer> target = decided.get(h.key());
            if (target == null) {
                target = placer.replace(h.base(), nodeId, eligible, weight.get(h.key()));
                if (target == null) {
                    return new Plan(List.of(), remaining, "cannot decommission node " + nodeId + ": partition "
                            + h.topic() + "-" + h.partition() + " has " + h.base().size() + " replica(s) " + h.base()
                            + " and no other broker can take node " + nodeId + "'s (brokers that can take replicas: "
                            + eligible.stream().map(Broker::nodeId).toList() + "); add a broker first");
                }
                decided.put(h.key(), target);
            }
            moves.add(new Move(h.topic(), h.partition(), target));
        }
        return new Plan(List.copyOf(moves), remaining, null);
    }
}
