package io.chronik.raft.internal;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import org.apache.ratis.proto.RaftProtos.RaftRpcRequestProto;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.exceptions.ServerNotReadyException;
import org.apache.ratis.rpc.RpcFactory;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.util.LifeCycle;

/**
 * Keeps the Raft traffic of other nodes away from a division that is still starting. Ratis 3.2 serves an append,
 * install-snapshot, vote or leader-election request for a division it is adding at run time while the division
 * initialises (its state machine loads, its log opens): the request makes it a follower before its own start does, and
 * the start then fails ({@code IllegalStateException: previous != null} in {@code RoleInfo.startFollowerState}). A
 * node adding the division of a group whose leader is already sending to it (a new or wiped node) lost that race
 * nearly every time. Here the transport's server sees the node's {@link RaftServer} through a proxy that answers such
 * requests with {@link ServerNotReadyException} (the sender retries, as for any unready server) while the target
 * division's life cycle is {@code NEW} or {@code STARTING}; everything else passes through unchanged.
 *
 * <p>{@link #wrap} wraps the transport's factory so that the server RPC it creates gets the guarded server; the factory
 * and the server keep every interface of the objects they stand for. Since every request of other nodes passes here,
 * whatever the transport, the requests passed on are also counted ({@link ReceivedRaftRequests}). Thread-safe.
 */
final class StartingDivisionGuard {
    /** Server requests addressed to one division, by method name. */
    private static final Set<String> DIVISION_REQUESTS = Set.of("appendEntries", "appendEntriesAsync",
            "installSnapshot", "requestVote", "startLeaderElection", "readIndexAsync");

    private StartingDivisionGuard() {
    }

    /**
     * The transport factory, creating its server RPC with a guarded {@link RaftServer}; the requests passed on to the
     * server are told to {@code requests}.
     */
    static RpcFactory wrap(RpcFactory factory, ReceivedRaftRequests requests) {
        return proxy(factory, (proxy, method, args) -> {
            if (method.getName().equals("newRaftServerRpc") && args != null && args.length == 1
                    && args[0] instanceof RaftServer server) {
                return invoke(factory, method, new Object[] {guard(server, requests)});
            }
            return invoke(factory, method, args);
        }, org.apache.ratis.server.ServerFactory.class, org.apache.ratis.client.ClientFactory.class);
    }

    private static RaftServer guard(RaftServer server, ReceivedRaftRequests requests) {
        return proxy(server, (proxy, method, args) -> {
            if (DIVISION_REQUESTS.contains(method.getName()) && args != null && args.length == 1) {
                RaftGroupId groupId = groupOf(args[0]);
                if (groupId != null && starting(server, groupId)) {
                    ServerNotReadyException e = new ServerNotReadyException(server.getId() + "@" + groupId
                            + " is starting");
                    if (CompletableFuture.class.isAssignableFrom(method.getReturnType())) {
                        return CompletableFuture.failedFuture(e);
                    }
                    throw e;
                }
                requests.received(server, args[0]);
                Object answer = invoke(server, method, args);
                requests.answered(server, args[0], answer);
                return answer;
            }
            return invoke(server, method, args);
        }, RaftServer.class);
    }

    /** The group a server request is for, or null if the argument is not one. */
    private static RaftGroupId groupOf(Object request) {
        try {
            Object rpc = request.getClass().getMethod("getServerRequest").invoke(request);
            if (rpc instanceof RaftRpcRequestProto r && r.hasRaftGroupId()) {
                return RaftGroupId.valueOf(r.getRaftGroupId().getId());
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            // not a server request
        }
        return null;
    }

    private static boolean starting(RaftServer server, RaftGroupId groupId) {
        try {
            LifeCycle.State s = server.getDivision(groupId).getInfo().getLifeCycleState();
            return s == LifeCycle.State.NEW || s == LifeCycle.State.STARTING;
        } catch (Exception e) {
            return false; // no such division (yet): Ratis answers that itself
        }
    }

    private static Object invoke(Object target, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /**
     * A proxy of {@code target} with the public Ratis interfaces it implements among {@code candidates} (only those:
     * a proxy of a non-public interface would have to live in its package).
     */
    @SuppressWarnings("unchecked")
    private static <T> T proxy(T target, InvocationHandler handler, Class<?>... candidates) {
        Set<Class<?>> interfaces = new LinkedHashSet<>();
        for (Class<?> c : candidates) {
            if (c.isInstance(target)) {
                interfaces.add(c);
            }
        }
        // Ratis' own class loader (the ratis bundle's, in OSGi) sees every type its interfaces' methods name
        return (T) Proxy.newProxyInstance(RaftServer.class.getClassLoader(), interfaces.toArray(new Class<?>[0]), handler);
    }
}
