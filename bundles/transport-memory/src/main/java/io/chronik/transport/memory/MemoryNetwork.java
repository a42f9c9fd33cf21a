package io.chronik.transport.memory;

import java.io.Closeable;
import java.net.ConnectException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;

/**
 * A network inside one JVM: endpoints bound to addresses exchange request and reply messages (byte arrays), and a
 * test can break any link between two addresses on demand ({@link Faults}: block one or both directions, drop a
 * fraction of messages, delay them with jitter, let them overtake each other) and heal it, while traffic flows.
 *
 * <p><b>Delivery.</b> Every message travels asynchronously: {@link #send} returns at once, the receiver's
 * {@link Handler} runs on one of the network's threads (never the sender's), and so does the completion of the
 * reply future. A link is one direction between two addresses; messages on it arrive in the order they were sent
 * (like one TCP connection) unless its faults allow {@link Faults#reorder() reordering}, and are handled one at a
 * time (a handler that blocks holds up its link, not others). A reply travels back on the reverse link under that
 * link's faults. A lost message (blocked link, dropped) is never answered: the sender's future stays incomplete, so
 * senders apply their own timeouts, as over a network. A message arriving at an address nothing is bound to fails
 * with {@link ConnectException} (as a refused connection).
 *
 * <p><b>Faults.</b> Each link has its own {@link Faults}; a link without its own uses the network's
 * {@link #setDefaults defaults}. Changing faults affects messages sent afterwards. Drop and jitter decisions on a
 * link are drawn from a random sequence seeded by {@link #seed} and the link's addresses, so for the same order of
 * messages on a link they are the same in every run (thread scheduling decides that order between concurrent
 * senders; the JVM does not make it deterministic).
 *
 * <p><b>Sharing.</b> {@link #shared()} is the JVM-wide network the memory Raft transport binds to. Only JDK types
 * appear here, so several OSGi frameworks in one JVM share that network when their system bundle exports this
 * package (see docs/transports.md).
 *
 * <p>Thread-safe. The network's threads are daemons.
 */
public final class MemoryNetwork {
    private static final MemoryNetwork SHARED = new MemoryNetwork("shared");

    /** Receives the requests sent to one address. */
    @FunctionalInterface
    public interface Handler {
        /**
         * Handles one request; called on a network thread, one request of a link at a time.
         *
         * @param from    the sender's address
         * @param request the request (owned by the handler)
         * @return the reply; an exceptionally completed future is delivered to the sender as that exception
         */
        CompletableFuture<byte[]> handle(String from, byte[] request);
    }

    private final String name;
    private final Map<String, Handler> endpoints = new ConcurrentHashMap<>();
    private final Map<String, Link> links = new ConcurrentHashMap<>();
    private final Map<String, Faults> linkFaults = new ConcurrentHashMap<>();
    private volatile Faults defaults = Faults.NONE;
    private volatile long seed = 0x5EED;
    private final ScheduledExecutorService timer;
    private final ExecutorService workers;

    /** A new, empty network ({@code name} names its threads). Most users want {@link #shared()}. */
    public MemoryNetwork(String name) {
        this.name = Objects.requireNonNull(name);
        this.timer = Executors.newSingleThreadScheduledExecutor(threads("memory-network-" + name + "-timer"));
        this.workers = Executors.newCachedThreadPool(threads("memory-network-" + name));
    }

    /** The JVM-wide network (the memory Raft transport's). */
    public static MemoryNetwork shared() {
        return SHARED;
    }

    private static ThreadFactory threads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * Binds {@code handler} to {@code address}.
     *
     * @return closing it unbinds the handler (later messages to the address are refused); idempotent
     * @throws IllegalStateException if something is bound to the address already
     */
    public Closeable bind(String address, Handler handler) {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(handler, "handler");
        if (endpoints.putIfAbsent(address, handler) != null) {
            throw new IllegalStateException("address " + address + " is in use in the memory network '" + name + "'");
        }
        return () -> endpoints.remove(address, handler);
    }

    /** Whether something is bound to {@code address}. */
    public boolean isBound(String address) {
        return endpoints.containsKey(address);
    }

    /** The addresses bound now, sorted. */
    public Set<String> addresses() {
        return new TreeSet<>(endpoints.keySet());
    }

    /**
     * Sends {@code request} from {@code from} to {@code to}.
     *
     * @param request the message; the caller must not change it afterwards
     * @return the reply, completed on a network thread: the handler's reply, the handler's failure, a
     *         {@link ConnectException} if nothing is bound to {@code to} when the message arrives; never completed if
     *         the request or its reply is lost
     */
    public CompletableFuture<byte[]> send(String from, String to, byte[] request) {
        Objects.requireNonNull(request, "request");
        CompletableFuture<byte[]> reply = new CompletableFuture<>();
        link(from, to).transmit(() -> {
            Handler handler = endpoints.get(to);
            if (handler == null) {
                workers.execute(() -> reply.completeExceptionally(new ConnectException(
                        "Connection refused: nothing is bound to " + to + " in the memory network '" + name + "'")));
                return;
            }
            CompletableFuture<byte[]> answer;
            try {
                answer = Objects.requireNonNull(handler.handle(from, request), "the handler returned null");
            } catch (RuntimeException e) {
                answer = CompletableFuture.failedFuture(e);
            }
            answer.whenComplete((bytes, error) -> link(to, from).transmit(
                    () -> workers.execute(() -> {
                        if (error != null) {
                            reply.completeExceptionally(error);
                        } else {
                            reply.complete(bytes);
                        }
                    })));
        });
        return reply;
    }

    /** The faults of the link {@code from} → {@code to} now (its own, else the defaults). */
    public Faults faults(String from, String to) {
        return linkFaults.getOrDefault(key(from, to), defaults);
    }

    /** Sets the faults of the link {@code from} → {@code to} (one direction). */
    public void setFaults(String from, String to, Faults faults) {
        linkFaults.put(key(from, to), Objects.requireNonNull(faults, "faults"));
    }

    /** Changes the faults of the link {@code from} → {@code to}, starting from its current ones. */
    public void updateFaults(String from, String to, UnaryOperator<Faults> change) {
        linkFaults.compute(key(from, to), (k, current) -> Objects.requireNonNull(
                change.apply(current == null ? defaults : current), "faults"));
    }

    /** The faults of every link that has none of its own. */
    public void setDefaults(Faults faults) {
        defaults = Objects.requireNonNull(faults, "faults");
    }

    /** The faults of every link that has none of its own. */
    public Faults defaults() {
        return defaults;
    }

    /** Blocks every link between an address of {@code side} and one of {@code other}, both ways. */
    public void partition(Collection<String> side, Collection<String> other) {
        partitionOneWay(side, other);
        partitionOneWay(other, side);
    }

    /** Blocks every link from an address of {@code from} to one of {@code to} (replies the other way still flow). */
    public void partitionOneWay(Collection<String> from, Collection<String> to) {
        for (String a : from) {
            for (String b : to) {
                if (!a.equals(b)) {
                    updateFaults(a, b, f -> f.withBlocked(true));
                }
            }
        }
    }

    /** Blocks every link between {@code address} and every other bound address, both ways. */
    public void isolate(String address) {
        List<String> others = new ArrayList<>(endpoints.keySet());
        others.remove(address);
        partition(List.of(address), others);
    }

    /** Clears the faults of the link {@code from} → {@code to}: it uses the defaults again. */
    public void heal(String from, String to) {
        linkFaults.remove(key(from, to));
    }

    /** Clears every link's faults and the defaults: the network is whole again. */
    public void heal() {
        linkFaults.clear();
        defaults = Faults.NONE;
    }

    /** Seeds the drop and jitter decisions of every link from now on (see the class comment). */
    public void seed(long value) {
        seed = value;
        for (Link l : links.values()) {
            l.reseed(value);
        }
    }

    /** Messages sent on the link {@code from} → {@code to} so far (requests and replies). */
    public long sent(String from, String to) {
        Link l = links.get(key(from, to));
        return l == null ? 0 : l.sent.get();
    }

    /** Messages the link {@code from} → {@code to} lost so far (blocked or dropped). */
    public long lost(String from, String to) {
        Link l = links.get(key(from, to));
        return l == null ? 0 : l.lost.get();
    }

    @Override
    public String toString() {
        return "MemoryNetwork[" + name + ", " + endpoints.size() + " bound, " + linkFaults.size() + " faulty links]";
    }

    private static String key(String from, String to) {
        return Objects.requireNonNull(from, "from") + " -> " + Objects.requireNonNull(to, "to");
    }

    private Link link(String from, String to) {
        String key = key(from, to);
        return links.computeIfAbsent(key, k -> new Link(k, seed));
    }

    /** One direction between two addresses: a queue of messages due at their delivery times, drained in order. */
    private final class Link {
        private final String key;
        final AtomicLong sent = new AtomicLong();
        final AtomicLong lost = new AtomicLong();
        private final PriorityQueue<Pending> queue = new PriorityQueue<>();
        private SplittableRandom random;
        private long lastDue;
        private long sequence;
        private boolean draining;

        Link(String key, long seed) {
            this.key = key;
            reseed(seed);
        }

        synchronized void reseed(long seed) {
            random = new SplittableRandom(seed ^ (key.hashCode() * 0x9E3779B97F4A7C15L));
        }

        void transmit(Runnable deliver) {
            sent.incrementAndGet();
            Faults f = linkFaults.getOrDefault(key, defaults);
            long due;
            synchronized (this) {
                double roll = random.nextDouble();
                long jitter = f.jitterMillis() > 0 ? random.nextLong(f.jitterMillis() + 1) : 0;
                if (f.blocked() || roll < f.dropFraction()) {
                    lost.incrementAndGet();
                    return;
                }
                due = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(f.delayMillis() + jitter);
                if (!f.reorder()) {
                    due = Math.max(due, lastDue);
                }
                lastDue = Math.max(lastDue, due);
                queue.add(new Pending(due, sequence++, deliver));
                if (draining) {
                    return; // the running drain picks it up (or schedules itself for it)
                }
            }
            schedule(due);
        }

        private void schedule(long due) {
            long wait = due - System.nanoTime();
            if (wait <= 0) {
                workers.execute(this::drain);
            } else {
                timer.schedule(() -> workers.execute(this::drain), wait, TimeUnit.NANOSECONDS);
            }
        }

        private void drain() {
            synchronized (this) {
                if (draining) {
                    return;
                }
                draining = true;
            }
            while (true) {
                Pending next;
                synchronized (this) {
                    next = queue.peek();
                    if (next == null) {
                        draining = false;
                        return;
                    }
                    if (next.due > System.nanoTime()) {
                        draining = false;
                        schedule(next.due);
                        return;
                    }
                    queue.poll();
                }
                try {
                    next.deliver.run();
                } catch (RuntimeException e) {
                    // a delivery never throws by construction; keep the link alive if one does
                    Thread t = Thread.currentThread();
                    t.getUncaughtExceptionHandler().uncaughtException(t, e);
                }
            }
        }
    }

    private record Pending(long due, long sequence, Runnable deliver) implements Comparable<Pending> {
        @Override
        public int compareTo(Pending o) {
            int c = Long.compare(due, o.due);
            return c != 0 ? c : Long.compare(sequence, o.sequence);
        }
    }
}
