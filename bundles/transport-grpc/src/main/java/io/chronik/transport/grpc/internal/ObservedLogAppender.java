package io.chronik.transport.grpc.internal;

import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.ratis.grpc.server.GrpcLogAppender;
import org.apache.ratis.grpc.server.GrpcServicesImpl;
import org.apache.ratis.proto.RaftProtos.AppendEntriesReplyProto;
import org.apache.ratis.proto.RaftProtos.AppendEntriesRequestProto;
import org.apache.ratis.proto.RaftProtos.InstallSnapshotRequestProto;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.leader.FollowerInfo;
import org.apache.ratis.server.leader.LeaderState;
import org.apache.ratis.server.leader.LogAppender;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.raftlog.RaftLogIOException;
import org.apache.ratis.statemachine.SnapshotInfo;

import io.chronik.ratis.rpc.TransportObserver;
import io.chronik.ratis.rpc.TransportObserver.Kind;

/**
 * Ratis' gRPC log appender (the leader's sender to one follower) reporting what it sends to the
 * {@link TransportObserver}, with the follower's id as the peer:
 * <ul>
 * <li>append entries (heartbeats included): each request {@code sent} as it goes on the stream, with its serialized
 * size; each reply of the follower {@code received} and the request {@code completed} with the time from sent to
 * reply. A request without a reply within Ratis' request timeout ({@code raft.server.rpc.request.timeout}: the
 * appender gave up on it too, or the stream broke) completes as a {@code timeout} error, counted when the appender
 * next sends. Replies that say the leader is deposed ({@code NOT_LEADER}) are not seen: Ratis hands them no further
 * than the appender's private handler;</li>
 * <li>install snapshot: each chunk (or the notification to install one) {@code sent} with its serialized size; one
 * snapshot's stream of chunks {@code completed} once the appender is done with it, with an error if the follower's
 * snapshot index did not reach the snapshot's. The follower's replies to chunks are not seen here (the follower's
 * interceptor counts them as sent, {@link ObservingServices}).</li>
 * </ul>
 * Ratis reaches the appender's replies only through its {@link LeaderState}, which the appender is therefore given
 * wrapped ({@link #create}); the wrapper passes every call on.
 *
 * <p><b>Threads.</b> Ratis runs the appender on its own thread; replies arrive on gRPC's threads. The observer is
 * called on both and never blocks them.
 */
final class ObservedLogAppender extends GrpcLogAppender {
    /** A request whose send time is still in flight after this is swept as a timeout. */
    private final long timeoutNanos;
    private final TransportObserver observer;
    private final String peer;
    /** Append requests in flight: call id to send time. */
    private final Map<Long, Long> inFlight = new ConcurrentHashMap<>();
    private volatile long nextSweep;
    /** The request built for sending, until {@link #resetHeartbeatTrigger} says it goes out; appender thread only. */
    private AppendEntriesRequestProto toSend;
    /** The snapshot being sent ({@code snapshotIndex}, since {@code snapshotStart}), or -1; appender thread only. */
    private long snapshotIndex = -1;
    private long snapshotStart;

    private ObservedLogAppender(RaftServer.Division server, LeaderState leaderState, FollowerInfo f,
            TransportObserver observer) {
        super(server, leaderState, f);
        this.observer = observer;
        this.peer = f.getId().toString();
        this.timeoutNanos = RaftServerConfigKeys.Rpc.requestTimeout(server.getRaftServer().getProperties())
                .toLong(TimeUnit.NANOSECONDS);
    }

    /** The appender of {@code follower}, reporting to {@code observer}. */
    static LogAppender create(RaftServer.Division server, LeaderState leaderState, FollowerInfo follower,
            TransportObserver observer) {
        ReplyTap tap = new ReplyTap(leaderState);
        ObservedLogAppender a = new ObservedLogAppender(server, tap, follower, observer);
        tap.appender = a;
        return a;
    }

    /** Ratis' implementation: this appender reaches the peers' channels through it. */
    @Override
    public GrpcServicesImpl getServerRpc() {
        // called by the super constructor too: no field of this class is set yet
        return (GrpcServicesImpl) ObservedServerRpc.unwrap(getServer().getRaftServer().getServerRpc());
    }

    @Override
    public AppendEntriesRequestProto newAppendEntriesRequest(long callId, boolean heartbeat) throws RaftLogIOException {
        snapshotDone();
        AppendEntriesRequestProto request = super.newAppendEntriesRequest(callId, heartbeat);
        toSend = request;
        return request;
    }

    /** Called by the appender just before it puts the request {@link #newAppendEntriesRequest} built on the stream. */
    @Override
    protected void resetHeartbeatTrigger() {
        super.resetHeartbeatTrigger();
        AppendEntriesRequestProto request = toSend;
        toSend = null;
        if (request != null) {
            long now = System.nanoTime();
            sweep(now);
            inFlight.put(request.getServerRequest().getCallId(), now);
            observer.sent(peer, Kind.APPEND, request.getSerializedSize());
        }
    }

    private void replied(AppendEntriesReplyProto reply) {
        observer.received(peer, Kind.APPEND, reply.getSerializedSize());
        Long sent = inFlight.remove(reply.getServerReply().getCallId());
        if (sent != null) {
            observer.completed(peer, Kind.APPEND, System.nanoTime() - sent, null);
        }
    }

    /** Completes the requests unanswered for longer than the request timeout as timeouts (at most every 100 ms). */
    private void sweep(long now) {
        if (now - nextSweep < 0 || inFlight.isEmpty()) {
            return;
        }
        nextSweep = now + TimeUnit.MILLISECONDS.toNanos(100);
        inFlight.forEach((callId, sent) -> {
            if (now - sent > timeoutNanos && inFlight.remove(callId, sent)) {
                observer.completed(peer, Kind.APPEND, now - sent, Timeout.INSTANCE);
            }
        });
    }

    @Override
    public InstallSnapshotRequestProto newInstallSnapshotNotificationRequest(TermIndex firstAvailable) {
        InstallSnapshotRequestProto request = super.newInstallSnapshotNotificationRequest(firstAvailable);
        observer.sent(peer, Kind.SNAPSHOT, request.getSerializedSize());
        return request;
    }

    @Override
    public Iterable<InstallSnapshotRequestProto> newInstallSnapshotRequests(String requestId, SnapshotInfo snapshot) {
        Iterable<InstallSnapshotRequestProto> chunks = super.newInstallSnapshotRequests(requestId, snapshot);
        return () -> {
            snapshotIndex = snapshot.getIndex();
            snapshotStart = System.nanoTime();
            Iterator<InstallSnapshotRequestProto> i = chunks.iterator();
            return new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return i.hasNext();
                }

                @Override
                public InstallSnapshotRequestProto next() {
                    InstallSnapshotRequestProto chunk = i.next();
                    observer.sent(peer, Kind.SNAPSHOT, chunk.getSerializedSize());
                    return chunk;
                }
            };
        };
    }

    /** The appender went on after sending a snapshot: that snapshot's stream is done. */
    private void snapshotDone() {
        long index = snapshotIndex;
        if (index < 0) {
            return;
        }
        snapshotIndex = -1;
        boolean installed = getFollower().getSnapshotIndex() >= index;
        observer.completed(peer, Kind.SNAPSHOT, System.nanoTime() - snapshotStart,
                installed ? null : NotInstalled.INSTANCE);
    }

    /** A request unanswered within the request timeout. */
    private static final class Timeout extends TimeoutException {
        private static final long serialVersionUID = 1L;
        static final Timeout INSTANCE = new Timeout();

        private Timeout() {
            super("no reply within the request timeout");
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    /** A snapshot the follower did not install. */
    private static final class NotInstalled extends Exception {
        private static final long serialVersionUID = 1L;
        static final NotInstalled INSTANCE = new NotInstalled();

        private NotInstalled() {
            super("the follower did not install the snapshot", null, false, false);
        }
    }

    /** The leader state as the appender sees it: every call passed on, append replies seen on the way. */
    private static final class ReplyTap implements LeaderState {
        private final LeaderState delegate;
        volatile ObservedLogAppender appender;

        ReplyTap(LeaderState delegate) {
            this.delegate = delegate;
        }

        @Override
        public void onAppendEntriesReply(LogAppender from, AppendEntriesReplyProto reply) {
            ObservedLogAppender a = appender;
            if (a != null) {
                a.replied(reply);
            }
            delegate.onAppendEntriesReply(from, reply);
        }

        @Override
        public void restart(LogAppender a) {
            delegate.restart(a);
        }

        @Override
        public AppendEntriesRequestProto newAppendEntriesRequestProto(FollowerInfo follower, List<LogEntryProto> entries,
                TermIndex previous, long callId) {
            return delegate.newAppendEntriesRequestProto(follower, entries, previous, callId);
        }

        @Override
        public void checkHealth(FollowerInfo follower) {
            delegate.checkHealth(follower);
        }

        @Override
        public boolean onFollowerTerm(FollowerInfo follower, long followerTerm) {
            return delegate.onFollowerTerm(follower, followerTerm);
        }

        @Override
        public void onFollowerCommitIndex(FollowerInfo follower, long commitIndex) {
            delegate.onFollowerCommitIndex(follower, commitIndex);
        }

        @Override
        public void onFollowerSuccessAppendEntries(FollowerInfo follower) {
            delegate.onFollowerSuccessAppendEntries(follower);
        }

        @Override
        public boolean isFollowerBootstrapping(FollowerInfo follower) {
            return delegate.isFollowerBootstrapping(follower);
        }
    }
}
