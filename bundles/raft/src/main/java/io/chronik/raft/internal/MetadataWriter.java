package io.chronik.raft.internal;

import java.io.DataInputStream;
import java.io.IOException;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.consensus.ConsensusException;
import io.chronik.api.consensus.ConsensusException.Reason;

/**
 * Writes to the metadata group on this node's behalf: submits {@link MetaCommand}s (forwarded to the metadata
 * leader by Ratis), registers this broker, records the data groups this node leads, and waits for the leaders of
 * a new topic's groups. Non-blocking: every method returns at once, work continues on Ratis' threads and the node's
 * scheduler.
 */
final class MetadataWriter {
    private static final Logger LOG = LoggerFactory.getLogger(MetadataWriter.class);

    private final LocalServer server;
    private final MetadataStateMachine machine;
    private final Supplier<RaftClient> client;
    /** The node's executor that adds divisions, in metadata order. */
    private final Executor groupOps;
    private final DataGroups groups;
    private final LocalReplicas replicas;
    private final CompletableFuture<Void> registered = new CompletableFuture<>();
    private final CreateTopicBatcher creations = new CreateTopicBatcher(this::sendApplied, MAX_TOPICS_PER_ENTRY);

    /** The most topic creations that go in one metadata entry ({@link CreateTopicBatcher}). */
    static final int MAX_TOPICS_PER_ENTRY = 500;

    /**
     * @param client   the node's metadata group client (null while the node is not running)
     * @param groupOps the single thread that adds divisions to the server, in metadata order
     */
    MetadataWriter(LocalServer server, MetadataStateMachine machine, Supplier<RaftClient> client, Executor groupOps,
            DataGroups groups, LocalReplicas replicas) {
        this.server = server;
        this.machine = machine;
        this.client = client;
        this.groupOps = groupOps;
        this.groups = groups;
        this.replicas = replicas;
    }

    /** Completes once this broker is registered in the metadata; fails if the node stops first. */
    CompletableFuture<Void> registered() {
        return registered;
    }

    /** Registers this broker in the metadata, retried until it succeeds or the node stops. */
    void register() {
        register(0);
    }

    private void register(int attempt) {
        if (server.isStopping()) {
            return;
        }
        if (server.metadataLeader() == -1 && attempt < 1000) {
            // no metadata leader yet (election after start): do not make the client fail against a follower
            server.scheduler().schedule(() -> register(attempt + 1), 50, TimeUnit.MILLISECONDS);
            return;
        }
        NodeSettings settings = server.settings();
        MetaCommand cmd = new MetaCommand.RegisterBroker(settings.nodeId(), settings.advertisedAddr().host(),
                settings.advertisedAddr().port(), settings.rack(), settings.raftAddr().host(), settings.raftAddr().port(),
                Ids.kafkaUuid(UUID.randomUUID()));
        submit(cmd, true).whenComplete((r, e) -> {
            if (e == null) {
                LOG.info("node {} registered; cluster {}, metadata leader {}", settings.nodeId(), machine.state().clusterId,
                        server.metadataLeader());
                registered.complete(null);
            } else if (!server.isStopping()) {
                (attempt % 10 == 9 ? LOG.atWarn() : LOG.atDebug()).log("registering node {} failed (attempt {}): {}",
                        settings.nodeId(), attempt + 1, e.toString());
                server.scheduler().schedule(() -> register(attempt + 1), 200, TimeUnit.MILLISECONDS);
            }
        });
    }

    /** The node stops: a registration still under way fails. */
    void stop() {
        registered.completeExceptionally(new ConsensusException(Reason.NOT_AVAILABLE, "node stopped"));
    }

    /**
     * Submits a metadata command through the metadata group (forwarded to its leader by Ratis) and completes with
     * its result once it is applied on this node, and, if {@code awaitGroups}, once the data groups it placed on
     * this node are added to the server. Fails with {@link ConsensusException} if the command was refused, not
     * committed in time or no metadata leader was reachable.
     */
    CompletableFuture<MetaResult.Ok> submit(MetaCommand command, boolean awaitGroups) {
        CompletableFuture<MetaResult> result = command instanceof MetaCommand.CreateTopic create
                ? creations.submit(create) : sendApplied(command);
        if (awaitGroups) {
            result = result.thenCompose(r -> CompletableFuture.supplyAsync(() -> r, groupOps));
        }
        return result.handle((r, e) -> {
            if (e != null) {
                throw new CompletionException(toConsensusException(e));
            }
            try {
                return r.orThrow();
            } catch (ConsensusException failed) {
                throw new CompletionException(failed);
            }
        });
    }

    /**
     * Sends one command through the metadata group; completes with its result once the entry is applied on this
     * node, or fails if it was not committed in time or no metadata leader was reachable.
     */
    private CompletableFuture<MetaResult> sendApplied(MetaCommand command) {
        RaftClient c = client.get();
        if (c == null) {
            return CompletableFuture.failedFuture(new ConsensusException(Reason.NOT_AVAILABLE, "node is not running"));
        }
        CompletableFuture<RaftClientReply> sent;
        try {
            sent = c.async().send(Message.valueOf(ByteString.copyFrom(command.encode())));
        } catch (Exception e) {
            sent = CompletableFuture.failedFuture(e);
        }
        return sent
                .orTimeout(server.settings().requestTimeoutMs(), TimeUnit.MILLISECONDS)
                .whenComplete((reply, e) -> {
                    if (e != null) {
                        server.metadataRequestFailed(c, e);
                    } else if (!reply.isSuccess()) {
                        server.metadataRequestFailed(c, reply.getException());
                    }
                })
                .thenCompose(reply -> {
                    if (!reply.isSuccess()) {
                        throw new CompletionException(toConsensusException(reply.getException()));
                    }
                    MetaResult r;
                    try {
                        r = MetaResult.decode(new DataInputStream(reply.getMessage().getContent().newInput()));
                    } catch (IOException e) {
                        throw new CompletionException(e);
                    }
                    return machine.awaitApplied(reply.getLogIndex()).thenApply(v -> r);
                });
    }

    private ConsensusException toConsensusException(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof ConsensusException c) {
            return c;
        }
        if (t instanceof TimeoutException) {
            return new ConsensusException(Reason.TIMEOUT, "metadata change not committed within "
                    + server.settings().requestTimeoutMs() + " ms", -1, t);
        }
        if (t instanceof NotLeaderException nle) {
            return new ConsensusException(Reason.NOT_AVAILABLE, "no metadata leader", nle.getSuggestedLeader() == null
                    ? -1 : Ids.nodeId(nle.getSuggestedLeader().getId()), t);
        }
        return new ConsensusException(Reason.NOT_AVAILABLE, String.valueOf(t), -1, t);
    }

    /** Records in the metadata that this node leads {@code group}, if it still does (best effort). */
    void reportLeader(DataGroup group) {
        RaftServer.Division d = group.division();
        if (d == null || !d.getInfo().isLeader()) {
            return;
        }
        submit(new MetaCommand.GroupLeader(group.groupNo(), server.settings().nodeId(), d.getInfo().getCurrentTerm()), false)
                .whenComplete((r, e) -> {
                    if (e != null) {
                        LOG.debug("recording the leader of data group {} failed: {}", group.groupNo(), e.toString());
                    }
                });
    }

    /**
     * Completes when every data group of {@code topic} hosted on this node knows its leader and every group's leader
     * is recorded in the metadata (so that Metadata names it on every node), or after twice the maximum election
     * timeout (a new topic is then usable at once instead of answering NOT_LEADER first).
     */
    CompletableFuture<Void> awaitLeaders(String topic) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        long deadline = System.currentTimeMillis() + 2 * server.settings().electionTimeoutMaxMs();
        Runnable[] check = new Runnable[1];
        check[0] = () -> {
            MetadataState.Topic t = machine.state().topics.get(topic);
            boolean ready = true;
            if (t != null) {
                for (int p = 0; p < t.groups().size(); p++) {
                    DataGroup g = groups.get(t.groups().get(p));
                    if ((g != null && replicas.replica(topic, p) != null && g.leaderNodeId() < 0)
                            || !machine.state().leaders.containsKey(t.groups().get(p))) {
                        ready = false;
                        break;
                    }
                }
            }
            if (ready || server.isStopping() || System.currentTimeMillis() > deadline) {
                done.complete(null);
            } else {
                try {
                    server.scheduler().schedule(check[0], 10, TimeUnit.MILLISECONDS);
                } catch (RuntimeException e) {
                    done.complete(null);
                }
            }
        };
        check[0].run();
        return done;
    }
}
