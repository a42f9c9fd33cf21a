package io.chronik.transport.memory;

/**
 * The faults of one direction of a link between two addresses of a {@link MemoryNetwork}: immutable; each
 * {@code with...} method returns a copy.
 *
 * @param blocked      every message is lost (a partition in this direction)
 * @param dropFraction the fraction of messages lost, 0 (none) to 1 (all)
 * @param delayMillis  fixed delay added to every message
 * @param jitterMillis a uniformly random extra delay of 0 to this many milliseconds per message
 * @param reorder      whether a message may overtake an earlier one on this link (with jitter); false: messages
 *                     arrive in the order they were sent, as on one TCP connection
 */
public record Faults(boolean blocked, double dropFraction, long delayMillis, long jitterMillis, boolean reorder) {

    /** No fault: every message arrives, in order, without added delay. */
    public static final Faults NONE = new Faults(false, 0, 0, 0, false);

    /**
     * @throws IllegalArgumentException if the fraction is outside 0..1 or a delay is negative
     */
    public Faults {
        if (!(dropFraction >= 0 && dropFraction <= 1)) {
            throw new IllegalArgumentException("dropFraction must be within 0..1, got " + dropFraction);
        }
        if (delayMillis < 0 || jitterMillis < 0) {
            throw new IllegalArgumentException("delays must not be negative, got " + delayMillis + " and " + jitterMillis);
        }
    }

    /** A copy that loses every message ({@code true}) or none for this reason ({@code false}). */
    public Faults withBlocked(boolean b) {
        return new Faults(b, dropFraction, delayMillis, jitterMillis, reorder);
    }

    /** A copy that loses the given fraction of messages. */
    public Faults withDrop(double fraction) {
        return new Faults(blocked, fraction, delayMillis, jitterMillis, reorder);
    }

    /** A copy that delays every message by {@code millis} plus up to {@code jitter} more. */
    public Faults withDelay(long millis, long jitter) {
        return new Faults(blocked, dropFraction, millis, jitter, reorder);
    }

    /** A copy that lets messages overtake each other ({@code true}) or keeps their order. */
    public Faults withReorder(boolean r) {
        return new Faults(blocked, dropFraction, delayMillis, jitterMillis, r);
    }

    /** Whether this changes anything about delivery. */
    public boolean isNone() {
        return equals(NONE);
    }
}
