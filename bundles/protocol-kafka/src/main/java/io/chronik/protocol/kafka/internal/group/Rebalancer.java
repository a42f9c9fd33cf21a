package io.chronik.protocol.kafka.internal.group;

import java.util.ArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.protocol.kafka.internal.codec.KafkaErrors;

/**
 * The timed half of the membership protocol: the rebalance of a group (join phase with its initial delay and
 * rebalance timeout, the next generation, the sync deadline) and the members' sessions (and the pending member ids
 * of KIP-394). {@link ClassicGroup} performs the transitions; this class decides when, schedules the timers and
 * answers the members waiting on JoinGroup and SyncGroup.
 *
 * <p><b>Threads.</b> Methods other than the timers' are called holding the group's monitor; each timer takes the
 * monitor and checks that its phase (or session) is still current before it acts. Nothing here blocks.
 */
final class Rebalancer {
    private static final Logger LOG = LoggerFactory.getLogger(Rebalancer.class);

    private final GroupSettings settings;
    private final ScheduledExecutorService timers;

    /** @param timers runs the session and rebalance timers (owned, and shut down, by the coordinator) */
    Rebalancer(GroupSettings settings, ScheduledExecutorService timers) {
        this.settings = settings;
        this.timers = timers;
    }

    /** A member joined or changed: a rebalance starts, or the one under way may be complete. */
    void maybePrepareRebalance(ClassicGroup g, String reason) {
        if (g.canRebalance()) {
            prepareRebalance(g, reason);
        } else if (g.is(GroupState.PREPARING_REBALANCE)) {
            tryCompleteJoin(g);
        }
    }

    /** Starts a rebalance: members waiting on SyncGroup are told REBALANCE_IN_PROGRESS; the join phase is timed. */
    void prepareRebalance(ClassicGroup g, String reason) {
        if (g.is(GroupState.COMPLETING_REBALANCE)) {
            for (GroupMember m : g.members()) {
                if (m.awaitingSync != null) {
                    m.awaitingSync.complete(GroupResponses.syncError(Errors.REBALANCE_IN_PROGRESS));
                    m.awaitingSync = null;
                }
            }
        }
        LOG.info("preparing to rebalance group {} in state {} with old generation {} ({})", g.groupId, g.state().kafkaName,
                g.generationId(), reason);
        long phase = g.prepareRebalance();
        if (g.isInitialJoin()) {
            int delay = settings.initialRebalanceDelayMs();
            int remaining = Math.max(g.rebalanceTimeoutMs() - delay, 0);
            g.setPhaseTimer(timers.schedule(() -> initialJoinExpired(g, phase, delay, remaining), delay, TimeUnit.MILLISECONDS));
        } else {
            g.setPhaseTimer(timers.schedule(() -> joinExpired(g, phase), g.rebalanceTimeoutMs(), TimeUnit.MILLISECONDS));
            tryCompleteJoin(g);
        }
    }

    private void initialJoinExpired(ClassicGroup g, long phase, int delay, int remaining) {
        synchronized (g) {
            if (!g.isPhase(phase) || !g.is(GroupState.PREPARING_REBALANCE)) {
                return;
            }
            if (remaining > 0 && g.takeNewMemberAdded()) {
                // members keep arriving: wait a little longer, up to the rebalance timeout
                int next = Math.min(delay, remaining);
                int left = Math.max(remaining - delay, 0);
                g.setPhaseTimer(timers.schedule(() -> initialJoinExpired(g, phase, next, left), next, TimeUnit.MILLISECONDS));
                return;
            }
            completeJoin(g);
        }
    }

    private void joinExpired(ClassicGroup g, long phase) {
        synchronized (g) {
            if (g.isPhase(phase) && g.is(GroupState.PREPARING_REBALANCE)) {
                completeJoin(g);
            }
        }
    }

    /** Ends the join phase now if every member has rejoined (and the group is not waiting for more members). */
    void tryCompleteJoin(ClassicGroup g) {
        if (g.is(GroupState.PREPARING_REBALANCE) && !g.isInitialJoin() && g.allMembersJoined()) {
            completeJoin(g);
        }
    }

    /** The rebalance ends: members that did not rejoin are dropped and the others get the next generation. */
    private void completeJoin(ClassicGroup g) {
        for (GroupMember m : new ArrayList<>(g.members())) {
            if (m.awaitingJoin == null && m.instanceId == null) {
                LOG.info("member {} of group {} did not rejoin in time; removing it", m.memberId, g.groupId);
                removeMember(g, m);
            }
        }
        long phase = g.initNextGeneration();
        if (g.is(GroupState.EMPTY)) {
            LOG.info("group {} is empty at generation {}", g.groupId, g.generationId());
            g.shard.storeGroup(g, g.toRecord()).whenComplete((v, failure) -> {
                if (failure != null) {
                    LOG.warn("storing empty group {} failed: {}", g.groupId, KafkaErrors.unwrap(failure).toString());
                }
            });
            return;
        }
        LOG.info("group {} has generation {} with {} members, protocol {}, leader {}", g.groupId, g.generationId(),
                g.members().size(), g.protocolName(), g.leaderId());
        for (GroupMember m : g.members()) {
            if (m.awaitingJoin != null) {
                m.awaitingJoin.complete(GroupResponses.joinResponse(g, m, g.isLeader(m.memberId), false));
                m.awaitingJoin = null;
            }
            m.isNew = false;
            scheduleSession(g, m);
        }
        g.setPhaseTimer(timers.schedule(() -> syncExpired(g, phase), g.rebalanceTimeoutMs(), TimeUnit.MILLISECONDS));
    }

    /** The members that did not send SyncGroup within the rebalance timeout are removed, and the group rebalances. */
    private void syncExpired(ClassicGroup g, long phase) {
        synchronized (g) {
            if (!g.isPhase(phase) || !g.is(GroupState.COMPLETING_REBALANCE)) {
                return;
            }
            for (String id : g.membersNotSynced()) {
                GroupMember m = g.member(id);
                if (m != null) {
                    LOG.info("member {} of group {} did not sync in time; removing it", id, g.groupId);
                    removeMember(g, m);
                }
            }
            prepareRebalance(g, "members did not sync in time");
        }
    }

    /** Removes a member: its session ends and its waiting requests are answered UNKNOWN_MEMBER_ID. */
    void removeMember(ClassicGroup g, GroupMember m) {
        m.cancelSessionTimer();
        g.remove(m);
        GroupResponses.answerWaiting(m, Errors.UNKNOWN_MEMBER_ID);
    }

    /** Removes a member and rebalances the others (or completes the rebalance under way without it). */
    void removeMemberAndUpdateGroup(ClassicGroup g, GroupMember m, String reason) {
        removeMember(g, m);
        if (g.is(GroupState.STABLE) || g.is(GroupState.COMPLETING_REBALANCE)) {
            prepareRebalance(g, reason);
        } else if (g.is(GroupState.PREPARING_REBALANCE)) {
            tryCompleteJoin(g);
        }
    }

    /** (Re)starts the member's session: unless it is restarted again, the member is removed after its session timeout. */
    void scheduleSession(ClassicGroup g, GroupMember m) {
        m.cancelSessionTimer();
        long seq = ++m.sessionSeq;
        m.sessionTimer = timers.schedule(() -> expireSession(g, m, seq), m.sessionTimeoutMs, TimeUnit.MILLISECONDS);
    }

    private void expireSession(ClassicGroup g, GroupMember m, long seq) {
        synchronized (g) {
            if (m.sessionSeq != seq || g.member(m.memberId) != m || g.is(GroupState.DEAD)) {
                return;
            }
            if (m.awaitingJoin != null || m.awaitingSync != null) {
                scheduleSession(g, m); // waiting on the coordinator, not silent: the rebalance and sync timeouts bound it
                return;
            }
            LOG.info("member {} of group {} has not sent a heartbeat for {} ms; removing it", m.memberId, g.groupId,
                    m.sessionTimeoutMs);
            removeMemberAndUpdateGroup(g, m, "session timeout of " + m.memberId);
        }
    }

    /** Schedules the expiry of a pending member id (KIP-394), after {@code timeoutMs} without its JoinGroup. */
    ScheduledFuture<?> schedulePendingExpiry(ClassicGroup g, String memberId, int timeoutMs) {
        return timers.schedule(() -> expirePending(g, memberId), timeoutMs, TimeUnit.MILLISECONDS);
    }

    private void expirePending(ClassicGroup g, String memberId) {
        synchronized (g) {
            if (g.removePendingMember(memberId)) {
                tryCompleteJoin(g);
                g.shard.removeIfUnused(g);
            }
        }
    }

    /** A shard is no longer coordinated here: its groups' waiting members are answered NOT_COORDINATOR. */
    void unloaded(CoordinatorShard shard) {
        for (ClassicGroup g : shard.groups.values()) {
            synchronized (g) {
                for (GroupMember m : g.members()) {
                    m.cancelSessionTimer();
                    GroupResponses.answerWaiting(m, Errors.NOT_COORDINATOR);
                }
                g.markDead();
            }
        }
    }

    /** A shard was loaded here: the sessions of its groups' members start now. Returns how many members it has. */
    int loaded(CoordinatorShard shard) {
        int members = 0;
        for (ClassicGroup g : shard.groups.values()) {
            synchronized (g) {
                for (GroupMember m : g.members()) {
                    scheduleSession(g, m);
                    members++;
                }
            }
        }
        return members;
    }
}
