package io.chronik.transport.memory;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.Closeable;
import java.net.ConnectException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.junit.Test;

/** The network's delivery rules and faults. */
public class MemoryNetworkTest {
    private final MemoryNetwork network = new MemoryNetwork("test");

    /** An endpoint that answers each request with the request itself and remembers its order and thread. */
    private static final class Echo implements MemoryNetwork.Handler {
        final List<Integer> seen = Collections.synchronizedList(new ArrayList<>());
        final Set<String> threads = Collections.synchronizedSet(new java.util.HashSet<>());

        @Override
        public CompletableFuture<byte[]> handle(String from, byte[] request) {
            seen.add((int) request[0]);
            threads.add(Thread.currentThread().getName());
            return CompletableFuture.completedFuture(request);
        }
    }

    @Test
    public void deliversAsynchronouslyInOrderAndAnswers() throws Exception {
        Echo echo = new Echo();
        network.bind("b", echo);
        List<CompletableFuture<byte[]>> replies = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            replies.add(network.send("a", "b", new byte[] {(byte) i}));
        }
        for (int i = 0; i < 100; i++) {
            assertArrayEquals(new byte[] {(byte) i}, replies.get(i).get(5, TimeUnit.SECONDS));
        }
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            expected.add(i);
        }
        assertEquals(expected, echo.seen);
        assertFalse("the handler ran on the sender's thread", echo.threads.contains(Thread.currentThread().getName()));
        assertTrue(echo.threads.stream().allMatch(t -> t.startsWith("memory-network-test")));
    }

    @Test
    public void refusesWhenNothingIsBoundAndUnbindWorks() throws Exception {
        expectCause(network.send("a", "nobody", new byte[] {1}), ConnectException.class);
        Closeable binding = network.bind("b", new Echo());
        try {
            network.bind("b", new Echo());
            fail("bound twice");
        } catch (IllegalStateException expected) {
            assertTrue(expected.getMessage().contains("in use"));
        }
        assertEquals(Set.of("b"), network.addresses());
        binding.close();
        assertFalse(network.isBound("b"));
        expectCause(network.send("a", "b", new byte[] {1}), ConnectException.class);
    }

    @Test
    public void handlerFailuresReachTheSender() throws Exception {
        network.bind("b", (from, request) -> CompletableFuture.failedFuture(new IllegalStateException("boom")));
        network.bind("c", (from, request) -> {
            throw new IllegalArgumentException("thrown");
        });
        assertEquals("boom", expectCause(network.send("a", "b", new byte[0]), IllegalStateException.class).getMessage());
        assertEquals("thrown", expectCause(network.send("a", "c", new byte[0]), IllegalArgumentException.class).getMessage());
    }

    @Test
    public void partitionsBlockBothWaysOrOneWayAndHeal() throws Exception {
        Echo b = new Echo();
        Echo a = new Echo();
        network.bind("a", a);
        network.bind("b", b);
        network.partition(List.of("a"), List.of("b"));
        assertLost(network.send("a", "b", new byte[] {1}));
        assertLost(network.send("b", "a", new byte[] {2}));
        assertTrue(b.seen.isEmpty() && a.seen.isEmpty());
        assertEquals(1, network.lost("a", "b"));

        network.heal();
        network.partitionOneWay(List.of("b"), List.of("a"));
        // a -> b arrives, but b's reply travels b -> a and is lost
        assertLost(network.send("a", "b", new byte[] {3}));
        assertEquals(List.of(3), b.seen);
        assertLost(network.send("b", "a", new byte[] {4}));
        assertTrue(a.seen.isEmpty());

        network.heal("b", "a");
        assertArrayEquals(new byte[] {5}, network.send("a", "b", new byte[] {5}).get(5, TimeUnit.SECONDS));
        assertArrayEquals(new byte[] {6}, network.send("b", "a", new byte[] {6}).get(5, TimeUnit.SECONDS));
    }

    @Test
    public void isolateCutsOneAddressFromEveryOther() throws Exception {
        for (String s : List.of("a", "b", "c")) {
            network.bind(s, new Echo());
        }
        network.isolate("a");
        assertLost(network.send("b", "a", new byte[] {1}));
        assertLost(network.send("a", "c", new byte[] {1}));
        assertArrayEquals(new byte[] {1}, network.send("b", "c", new byte[] {1}).get(5, TimeUnit.SECONDS));
    }

    @Test
    public void dropsTheConfiguredFractionReproduciblyForASeed() throws Exception {
        List<Boolean> first = dropPattern(42);
        List<Boolean> again = dropPattern(42);
        List<Boolean> other = dropPattern(7);
        assertEquals(first, again);
        assertNotEquals(first, other);
        long arrived = first.stream().filter(x -> x).count();
        assertTrue("about 80 % of 400 should arrive, got " + arrived, arrived > 280 && arrived < 360);
    }

    private List<Boolean> dropPattern(long seed) throws Exception {
        MemoryNetwork n = new MemoryNetwork("drop-" + seed);
        n.bind("b", new Echo());
        n.seed(seed);
        n.setFaults("a", "b", Faults.NONE.withDrop(0.2));
        List<CompletableFuture<byte[]>> replies = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            replies.add(n.send("a", "b", new byte[] {(byte) i}));
        }
        // the last message that arrives tells us every earlier one has been decided (in-order link)
        Thread.sleep(300);
        List<Boolean> arrived = new ArrayList<>();
        for (CompletableFuture<byte[]> r : replies) {
            arrived.add(r.isDone());
        }
        return arrived;
    }

    @Test
    public void delaysWithJitterKeepOrderUnlessReorderingIsAllowed() throws Exception {
        Echo b = new Echo();
        network.bind("b", b);
        network.setFaults("a", "b", Faults.NONE.withDelay(50, 0));
        long start = System.nanoTime();
        network.send("a", "b", new byte[] {1}).get(5, TimeUnit.SECONDS);
        assertTrue("a 50 ms delay took " + (System.nanoTime() - start) / 1_000_000 + " ms",
                System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(50));

        network.setFaults("a", "b", Faults.NONE.withDelay(0, 30));
        b.seen.clear();
        List<CompletableFuture<byte[]>> replies = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            replies.add(network.send("a", "b", new byte[] {(byte) i}));
        }
        CompletableFuture.allOf(replies.toArray(new CompletableFuture<?>[0])).get(5, TimeUnit.SECONDS);
        List<Integer> sorted = new ArrayList<>(b.seen);
        Collections.sort(sorted);
        assertEquals("jitter without reordering keeps the order", sorted, b.seen);

        network.setFaults("a", "b", Faults.NONE.withDelay(0, 30).withReorder(true));
        b.seen.clear();
        replies.clear();
        for (int i = 0; i < 50; i++) {
            replies.add(network.send("a", "b", new byte[] {(byte) i}));
        }
        CompletableFuture.allOf(replies.toArray(new CompletableFuture<?>[0])).get(5, TimeUnit.SECONDS);
        assertEquals(50, b.seen.size());
        sorted = new ArrayList<>(b.seen);
        Collections.sort(sorted);
        assertNotEquals("with reordering some message overtakes another", sorted, b.seen);
    }

    @Test
    public void defaultsApplyToLinksWithoutTheirOwnFaults() throws Exception {
        network.bind("b", new Echo());
        network.bind("c", new Echo());
        network.setDefaults(Faults.NONE.withBlocked(true));
        network.setFaults("a", "c", Faults.NONE);
        network.setFaults("c", "a", Faults.NONE);
        assertLost(network.send("a", "b", new byte[] {1}));
        assertArrayEquals(new byte[] {1}, network.send("a", "c", new byte[] {1}).get(5, TimeUnit.SECONDS));
        network.heal();
        assertEquals(Faults.NONE, network.defaults());
        assertArrayEquals(new byte[] {2}, network.send("a", "b", new byte[] {2}).get(5, TimeUnit.SECONDS));
    }

    @Test
    public void faultsAreValidated() {
        try {
            Faults.NONE.withDrop(1.5);
            fail();
        } catch (IllegalArgumentException expected) {
            assertTrue(expected.getMessage().contains("dropFraction"));
        }
        try {
            Faults.NONE.withDelay(-1, 0);
            fail();
        } catch (IllegalArgumentException expected) {
            assertTrue(expected.getMessage().contains("negative"));
        }
    }

    private static void assertLost(CompletableFuture<byte[]> reply) throws Exception {
        try {
            reply.get(200, TimeUnit.MILLISECONDS);
            fail("the message was not lost");
        } catch (TimeoutException expected) {
            // never answered, as over a network
        }
    }

    private static <T extends Throwable> T expectCause(CompletableFuture<byte[]> reply, Class<T> type) throws Exception {
        try {
            reply.get(5, TimeUnit.SECONDS);
            throw new AssertionError("expected " + type.getSimpleName());
        } catch (ExecutionException e) {
            assertTrue("got " + e.getCause(), type.isInstance(e.getCause()));
            return type.cast(e.getCause());
        }
    }
}
