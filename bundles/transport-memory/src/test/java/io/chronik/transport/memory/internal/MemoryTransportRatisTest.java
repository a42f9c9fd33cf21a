package io.chronik.transport.memory.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.File;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupInfoReply;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.util.TimeDuration;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import io.chronik.ratis.rpc.RaftTransport;
import io.chronik.ratis.rpc.TransportObserver;
import io.chronik.ratis.rpc.TransportRpcType;
import io.chronik.transport.memory.Faults;
import io.chronik.transport.memory.MemoryNetwork;

/**
 * Plain Ratis (three servers of one group, a counting state machine) on the memory transport: elections, client
 * writes, ReadIndex reads on followers, admin requests, partitions and message loss.
 */
public class MemoryTransportRatisTest {
    private static final RaftGroupId GROUP = RaftGroupId.randomId();
    private static final AtomicLong PORTS = new AtomicLong(20000 + (System.nanoTime() % 10000));

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private final MemoryNetwork network = MemoryNetwork.shared();
    private final Map<RaftPeerId, RaftServer> servers = new LinkedHashMap<>();
    private final Map<RaftPeerId, CounterStateMachine> machines = new ConcurrentHashMap<>();
    private final List<RaftClient> clients = new ArrayList<>();
    private final Map<String, AtomicLong> observed = new ConcurrentHashMap<>();
    private RaftGroup group;

    @After
    public void stop() throws Exception {
        network.heal();
        for (RaftClient c : clients) {
            c.close();
        }
        for (RaftServer s : servers.values()) {
            s.close();
        }
    }

    private RaftProperties properties(File dir) {
        RaftProperties p = new RaftProperties();
        RaftServerConfigKeys.setStorageDir(p, List.of(dir));
        RaftServerConfigKeys.Rpc.setTimeoutMin(p, TimeDuration.valueOf(300, TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Rpc.setTimeoutMax(p, TimeDuration.valueOf(600, TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Rpc.setRequestTimeout(p, TimeDuration.valueOf(1000, TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Read.setOption(p, RaftServerConfigKeys.Read.Option.LINEARIZABLE);
        RaftServerConfigKeys.Read.setLeaderLeaseEnabled(p, false);
        RaftClientConfigKeys.Rpc.setRequestTimeout(p, TimeDuration.valueOf(300, TimeUnit.MILLISECONDS));
        return p;
    }

    private Parameters parameters(RaftProperties properties, String address) {
        Parameters parameters = new Parameters();
        parameters.put(TransportObserver.KEY, new CountingObserver(), TransportObserver.class);
        TransportRpcType.install(properties, parameters,
                new MemoryRaftTransport().newFactory(parameters, Map.of(RaftTransport.ADDRESS, address)));
        return parameters;
    }

    private void startCluster(int n) throws Exception {
        List<RaftPeer> peers = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            peers.add(RaftPeer.newBuilder().setId("s" + i).setAddress("10.0.0." + i + ":" + PORTS.incrementAndGet())
                    .build());
        }
        group = RaftGroup.valueOf(GROUP, peers);
        for (RaftPeer peer : peers) {
            RaftProperties p = properties(tmp.newFolder(peer.getId().toString()));
            CounterStateMachine sm = new CounterStateMachine();
            machines.put(peer.getId(), sm);
            RaftServer s = RaftServer.newBuilder().setServerId(peer.getId()).setGroup(group).setStateMachine(sm)
                    .setProperties(p).setParameters(parameters(p, peer.getAddress())).build();
            s.start();
            servers.put(peer.getId(), s);
        }
    }

    private RaftClient client(RaftPeer from) throws Exception {
        RaftProperties p = properties(tmp.newFolder());
        RaftClient c = RaftClient.newBuilder().setClientId(ClientId.randomId()).setRaftGroup(group).setProperties(p)
                .setParameters(parameters(p, from.getAddress()))
                .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(100,
                        TimeDuration.valueOf(100, TimeUnit.MILLISECONDS)))
                .build();
        clients.add(c);
        return c;
    }

    private RaftPeerId awaitLeader(RaftPeerId not) throws Exception {
        long deadline = System.currentTimeMillis() + 10_000;
        while (System.currentTimeMillis() < deadline) {
            for (Map.Entry<RaftPeerId, RaftServer> e : servers.entrySet()) {
                RaftServer.Division d = e.getValue().getDivision(GROUP);
                if (!e.getKey().equals(not) && d.getInfo().isLeader() && d.getInfo().isLeaderReady()) {
                    return e.getKey();
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no leader");
    }

    private RaftPeer peer(RaftPeerId id) {
        return group.getPeer(id);
    }

    @Test
    public void electsReplicatesAndServesReadsAndAdminRequests() throws Exception {
        long t0 = System.nanoTime();
        startCluster(3);
        RaftPeerId leader = awaitLeader(null);
        assertTrue("a leader within 2 s", System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(2));
        RaftPeerId follower = servers.keySet().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
        RaftClient client = client(peer(follower));

        List<CompletableFuture<RaftClientReply>> replies = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            replies.add(client.async().send(Message.valueOf("+1")));
        }
        for (CompletableFuture<RaftClientReply> r : replies) {
            assertTrue(r.get(10, TimeUnit.SECONDS).isSuccess());
        }
        assertEquals(200, CounterStateMachine.value(client.io().send(Message.valueOf("+1")).getMessage()) - 1);
        // a linearizable read on a follower goes through ReadIndex (the follower asks the leader)
        RaftClientReply read = client.io().sendReadOnly(Message.valueOf("get"), follower);
        assertEquals(201, CounterStateMachine.value(read.getMessage()));
        awaitApplied(201);

        GroupInfoReply info = client.getGroupManagementApi(follower).info(GROUP);
        assertEquals(GROUP, info.getGroup().getGroupId());
        assertTrue(client.getGroupManagementApi(leader).list().getGroupIds().contains(GROUP));
        RaftClientReply transfer = client.admin().transferLeadership(follower, 5000);
        assertTrue(transfer.isSuccess());
        assertEquals(follower, awaitLeader(leader));
        assertTrue(observed.getOrDefault("sent append", new AtomicLong()).get() > 0);
        assertTrue(observed.getOrDefault("received read_index", new AtomicLong()).get() > 0);
        assertTrue(observed.getOrDefault("sent vote", new AtomicLong()).get() > 0);
    }

    @Test
    public void partitionedLeaderIsReplacedAndConvergesAfterHeal() throws Exception {
        startCluster(3);
        RaftPeerId old = awaitLeader(null);
        RaftPeerId other = servers.keySet().stream().filter(id -> !id.equals(old)).findFirst().orElseThrow();
        RaftClient client = client(peer(other));
        assertTrue(client.io().send(Message.valueOf("+1")).isSuccess());

        network.isolate(peer(old).getAddress());
        RaftPeerId fresh = awaitLeader(old);
        assertNotEquals(old, fresh);
        for (int i = 0; i < 20; i++) {
            assertTrue(client.io().send(Message.valueOf("+1")).isSuccess());
        }
        network.heal();
        awaitApplied(21);
        long deadline = System.currentTimeMillis() + 10_000;
        while (servers.get(old).getDivision(GROUP).getInfo().isLeader() && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertTrue("the old leader stepped down", !servers.get(old).getDivision(GROUP).getInfo().isLeader());
    }

    @Test
    public void deposedLeaderWithUncommittedEntriesCatchesUpAfterHeal() throws Exception {
        startCluster(3);
        RaftPeerId old = awaitLeader(null);
        RaftClient atOld = client(peer(old));
        for (int i = 0; i < 5; i++) {
            assertTrue(atOld.io().send(Message.valueOf("+1")).isSuccess());
        }
        network.isolate(peer(old).getAddress());
        // the isolated leader takes writes it can never commit
        List<CompletableFuture<RaftClientReply>> doomed = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            doomed.add(atOld.async().send(Message.valueOf("+1")));
        }
        RaftPeerId fresh = awaitLeader(old);
        RaftClient atFresh = client(peer(fresh));
        for (int i = 0; i < 10; i++) {
            assertTrue(atFresh.io().send(Message.valueOf("+1")).isSuccess());
        }
        network.heal();
        // the old leader's client retries its requests elsewhere, so how many commit is not fixed; wait until the
        // client has settled every one of them (committed or given up), or a late retry could commit between the
        // replicas agreeing and the check below
        for (CompletableFuture<RaftClientReply> d : doomed) {
            try {
                d.get(30, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException gaveUp) {
                // its retries ran out (it may or may not have committed): the client sends it no more
            }
        }
        // then every replica applies the same number, at least the 15 acknowledged ones
        long deadline = System.currentTimeMillis() + 10_000;
        while (System.currentTimeMillis() < deadline && (machines.values().stream().map(m -> m.count.get()).distinct()
                .count() > 1 || machines.get(old).count.get() < 15)) {
            Thread.sleep(20);
        }
        assertEquals(1, machines.values().stream().map(m -> m.count.get()).distinct().count());
        assertTrue(machines.get(old).count.get() >= 15);
        RaftServer.Division o = servers.get(old).getDivision(GROUP);
        RaftServer.Division f = servers.get(fresh).getDivision(GROUP);
        while (o.getRaftLog().getLastCommittedIndex() < f.getRaftLog().getLastCommittedIndex()
                && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(f.getRaftLog().getLastCommittedIndex(), o.getRaftLog().getLastCommittedIndex());
    }

    @Test
    public void writesSucceedWithTwentyPercentLoss() throws Exception {
        startCluster(3);
        awaitLeader(null);
        network.seed(13);
        network.setDefaults(Faults.NONE.withDrop(0.2));
        RaftClient client = client(group.getPeers().iterator().next());
        for (int i = 0; i < 15; i++) {
            assertTrue(client.io().send(Message.valueOf("+1")).isSuccess());
        }
        long lost = 0;
        for (RaftPeer a : group.getPeers()) {
            for (RaftPeer b : group.getPeers()) {
                lost += network.lost(a.getAddress(), b.getAddress());
            }
        }
        assertTrue("the network lost messages", lost > 0);
        network.heal();
        awaitApplied(15);
    }

    @Test
    public void requestsToAnUnboundAddressAreRefused() throws Exception {
        startCluster(1);
        awaitLeader(null);
        RaftPeer ghost = RaftPeer.newBuilder().setId("ghost").setAddress("10.9.9.9:1").build();
        RaftProperties p = properties(tmp.newFolder());
        RaftClientConfigKeys.Rpc.setRequestTimeout(p, TimeDuration.valueOf(500, TimeUnit.MILLISECONDS));
        try (RaftClient c = RaftClient.newBuilder().setRaftGroup(RaftGroup.valueOf(GROUP, ghost)).setProperties(p)
                .setParameters(parameters(p, "10.9.9.8:1")).setRetryPolicy(RetryPolicies.noRetry()).build()) {
            c.io().send(Message.valueOf("+1"));
            fail("sent to nobody");
        } catch (java.io.IOException expected) {
            assertNotNull(expected.getMessage());
        }
    }

    private void awaitApplied(long count) throws Exception {
        long deadline = System.currentTimeMillis() + 10_000;
        while (machines.values().stream().anyMatch(m -> m.count.get() < count) && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        for (CounterStateMachine m : machines.values()) {
            assertEquals(count, m.count.get());
        }
    }

    /** Counts what the transport reports, by direction and kind. */
    private final class CountingObserver implements TransportObserver {
        private void add(String key) {
            observed.computeIfAbsent(key, k -> new AtomicLong()).incrementAndGet();
        }

        @Override
        public void sent(String peer, Kind kind, long bytes) {
            add("sent " + kind.label());
        }

        @Override
        public void received(String peer, Kind kind, long bytes) {
            add("received " + kind.label());
        }

        @Override
        public void completed(String peer, Kind kind, long nanos, Throwable error) {
            add(error == null ? "ok " + kind.label() : "error " + kind.label());
        }

        @Override
        public void connected(String peer) {
            add("connected");
        }

        @Override
        public void disconnected(String peer) {
            add("disconnected");
        }
    }
}
