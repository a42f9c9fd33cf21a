package io.chronik.ratis.internal.metrics;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

import org.apache.ratis.metrics.LongCounter;
import org.apache.ratis.metrics.MetricRegistryInfo;
import org.apache.ratis.metrics.RatisMetricRegistry;
import org.apache.ratis.metrics.Timekeeper;

/**
 * One Ratis metric registry: counters, timers that count events and sum their durations (no percentiles, no
 * decaying samples), and gauges kept as Ratis hands them over. Metrics are looked up by name, created on first use.
 */
public final class CountingMetricRegistry implements RatisMetricRegistry {

    /** A timer: how many timed events, and their total duration in nanoseconds. */
    public static final class Timer implements Timekeeper {
        private final LongAdder count = new LongAdder();
        private final LongAdder totalNanos = new LongAdder();

        @Override
        public Context time() {
            long start = System.nanoTime();
            return () -> {
                long elapsed = System.nanoTime() - start;
                count.increment();
                totalNanos.add(elapsed);
                return elapsed;
            };
        }

        public long count() {
            return count.sum();
        }

        public long totalNanos() {
            return totalNanos.sum();
        }
    }

    private static final class Counter implements LongCounter {
        private final LongAdder value = new LongAdder();

        @Override
        public void inc(long n) {
            value.add(n);
        }

        @Override
        public void dec(long n) {
            value.add(-n);
        }

        @Override
        public long getCount() {
            return value.sum();
        }
    }

    private final MetricRegistryInfo info;
    private final Map<String, Object> metrics = new ConcurrentHashMap<>();

    CountingMetricRegistry(MetricRegistryInfo info) {
        this.info = info;
    }

    @Override
    public Timer timer(String name) {
        return lookup(name, Timer.class, Timer::new);
    }

    @Override
    public LongCounter counter(String name) {
        return lookup(name, Counter.class, Counter::new);
    }

    @Override
    public <T> void gauge(String name, Supplier<Supplier<T>> gaugeSupplier) {
        metrics.computeIfAbsent(name, n -> gaugeSupplier.get());
    }

    /** The current value of a gauge, or null if there is none of that name. */
    public Object gaugeValue(String name) {
        return metrics.get(name) instanceof Supplier<?> s ? s.get() : null;
    }

    @Override
    public boolean remove(String name) {
        return metrics.remove(name) != null;
    }

    @Override
    public MetricRegistryInfo getMetricRegistryInfo() {
        return info;
    }

    private <M> M lookup(String name, Class<M> type, Supplier<M> factory) {
        Object m = metrics.computeIfAbsent(name, n -> factory.get());
        if (!type.isInstance(m)) {
            throw new IllegalArgumentException("metric " + name + " of " + info + " is a " + m.getClass().getSimpleName()
                    + ", not a " + type.getSimpleName());
        }
        return type.cast(m);
    }
}
