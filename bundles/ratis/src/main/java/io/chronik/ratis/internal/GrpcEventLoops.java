package io.chronik.ratis.internal;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The threads of the shaded gRPC's shared Netty event loops ({@code grpc-default-boss-ELG-*},
 * {@code grpc-default-worker-ELG-*}, and the {@code grpc-nio-*} ones without epoll). gRPC shares them between all
 * servers and channels and shuts them down about a second after the last user closed (its shared resources are
 * released with a delay). A node that stops closes its Raft server and then its bundles at once, so those threads
 * may still be shutting down when this bundle stops; if its class loader is gone by then, they fail with
 * {@code NoClassDefFoundError} loading the classes their shutdown needs. {@link RatisActivator#stop} therefore
 * waits for them first.
 */
final class GrpcEventLoops {
    private GrpcEventLoops() {
    }

    /** Whether a thread of that name runs one of gRPC's shared event loops. */
    static boolean isEventLoopThread(String name) {
        return name.startsWith("grpc-") && name.contains("-ELG-");
    }

    /** The live threads of gRPC's shared event loops. */
    static List<Thread> threads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> isEventLoopThread(t.getName())).toList();
    }

    /**
     * Waits until every thread of gRPC's shared event loops has ended, at most {@code timeoutMs}. Blocking; returns
     * early (false) if the caller is interrupted, with its interrupt flag set.
     *
     * @return whether none is left
     */
    static boolean awaitTermination(long timeoutMs) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        for (Thread t : threads()) {
            long leftMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (leftMs <= 0) {
                break;
            }
            try {
                t.join(leftMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return threads().isEmpty();
    }
}
