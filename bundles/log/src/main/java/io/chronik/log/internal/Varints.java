package io.chronik.log.internal;

import java.nio.ByteBuffer;

/** Kafka's zig-zag varints, reading with absolute positions. */
final class Varints {
    private Varints() {
    }

    /** Reads a zig-zag varlong at {@code pos[0]}, advancing it; IllegalArgumentException if malformed. */
    static long readVarlong(ByteBuffer b, int[] pos, int limit) {
        long value = 0;
        int shift = 0;
        int p = pos[0];
        while (true) {
            if (p >= limit || shift > 63) {
                throw new IllegalArgumentException("malformed varint");
            }
            byte x = b.get(p++);
            value |= (long) (x & 0x7F) << shift;
            if ((x & 0x80) == 0) {
                break;
            }
            shift += 7;
        }
        pos[0] = p;
        return (value >>> 1) ^ -(value & 1);
    }
}
