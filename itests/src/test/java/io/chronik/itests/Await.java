package io.chronik.itests;

import java.util.concurrent.Callable;
import java.util.function.Supplier;

/** Polling a condition until it holds, for the process cluster and the in-JVM cluster tests. */
public final class Await {
    private Await() {
    }

    /**
     * Polls {@code condition} every {@code pollMs} until it holds (exceptions count as false); fails after
     * {@code timeoutMs} with an {@link AssertionError} naming {@code what}, the last exception and what
     * {@code lastSeen} says then.
     */
    public static void until(String what, long timeoutMs, long pollMs, Callable<Boolean> condition,
            Supplier<String> lastSeen) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        Exception last = null;
        while (System.currentTimeMillis() < deadline) {
            try {
                if (Boolean.TRUE.equals(condition.call())) {
                    return;
                }
                last = null;
            } catch (Exception e) {
                last = e;
            }
            Thread.sleep(pollMs);
        }
        throw new AssertionError("not within " + timeoutMs + " ms: " + what + (last == null ? "" : " (last error: " + last + ")")
                + "; " + lastSeen.get());
    }
}
