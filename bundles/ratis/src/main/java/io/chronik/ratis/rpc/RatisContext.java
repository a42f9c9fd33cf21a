package io.chronik.ratis.rpc;

import java.util.concurrent.Callable;

import org.apache.ratis.util.ReflectionUtils;

/**
 * Runs code with the thread context class loader set to the Ratis bundle's class loader.
 *
 * <p>Ratis loads implementation classes by name ({@code ServerImplUtils}, {@code ClientImplUtils}, RPC types,
 * metrics) through {@code ReflectionUtils}, which captures the context class loader of the thread that first
 * touches it. Inside OSGi that loader must be this bundle's: wrap every {@code RaftServer}/{@code RaftClient}
 * creation (and {@code start()}) in {@link #call}. The class loader is also pinned once, early, by the bundle
 * activator.
 */
public final class RatisContext {

    private RatisContext() {
    }

    /** The class loader of the Ratis bundle (the one that sees every Ratis class). */
    public static ClassLoader classLoader() {
        return RatisContext.class.getClassLoader();
    }

    /** Runs {@code action} with the thread context class loader set to {@link #classLoader()}. */
    public static <T> T call(Callable<T> action) throws Exception {
        Thread t = Thread.currentThread();
        ClassLoader previous = t.getContextClassLoader();
        t.setContextClassLoader(classLoader());
        try {
            pin();
            return action.call();
        } finally {
            t.setContextClassLoader(previous);
        }
    }

    /** A {@link Runnable} variant of {@link #call} for actions that throw no checked exceptions. */
    public static void run(Runnable action) {
        try {
            call(() -> {
                action.run();
                return null;
            });
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Makes {@code ReflectionUtils} capture this bundle's class loader if it has not captured one yet (must be
     * called with the context class loader already set) and checks that the loader it uses can see Ratis'
     * server implementation.
     */
    static void pin() {
        if (ReflectionUtils.getClassByNameOrNull("org.apache.ratis.server.impl.ServerImplUtils") == null) {
            throw new IllegalStateException("Ratis' ReflectionUtils captured a class loader that cannot see the Ratis "
                    + "server implementation (" + ReflectionUtils.getClassLoader() + "); it must be the Ratis bundle's");
        }
    }
}
