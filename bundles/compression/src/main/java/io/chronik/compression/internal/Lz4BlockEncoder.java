package io.chronik.compression.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A greedy, hash-table LZ4 block encoder (the algorithm of the reference {@code LZ4_compress_fast}, acceleration 1),
 * producing the standard LZ4 block format: sequences of token, literals, 2-byte offset and match length; the last
 * 5 bytes of a block are literals and the last match starts at least 12 bytes before the end of the block.
 *
 * <p>Not thread-safe (it owns its hash table); one instance per stream.
 */
final class Lz4BlockEncoder {

    private static final int MIN_MATCH = 4;
    private static final int LAST_LITERALS = 5;
    private static final int MF_LIMIT = 12;
    private static final int MAX_DISTANCE = 65535;
    private static final int HASH_LOG = 14;
    private static final int SKIP_TRIGGER = 6;
    private static final int RUN_MASK = 15;
    private static final int ML_MASK = 15;

    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private final int[] table = new int[1 << HASH_LOG];

    /** The largest size {@link #compress} can produce for {@code length} input bytes. */
    static int maxCompressedLength(int length) {
        return length + length / 255 + 16;
    }

    /**
     * Compresses {@code src[srcOff, srcOff + srcLen)} into {@code dst} from index 0, which must hold
     * {@link #maxCompressedLength(int) maxCompressedLength(srcLen)} bytes. Returns the compressed length.
     */
    int compress(byte[] src, int srcOff, int srcLen, byte[] dst) {
        final int srcEnd = srcOff + srcLen;
        int dp = 0;
        int anchor = srcOff;
        if (srcLen > MF_LIMIT) {
            Arrays.fill(table, -1);
            final int mfLimit = srcEnd - MF_LIMIT; // last position at which a match may start
            final int matchLimit = srcEnd - LAST_LITERALS; // matches end before the last literals
            int ip = srcOff;
            table[hash(readInt(src, ip))] = ip;
            ip++;
            search:
            while (true) {
                int ref;
                int attempts = 1 << SKIP_TRIGGER;
                while (true) { // find a match, stepping faster through incompressible data
                    if (ip > mfLimit) {
                        break search;
                    }
                    int sequence = readInt(src, ip);
                    int h = hash(sequence);
                    ref = table[h];
                    table[h] = ip;
                    if (ref >= srcOff && ip - ref <= MAX_DISTANCE && readInt(src, ref) == sequence) {
                        break;
                    }
                    ip += attempts++ >>> SKIP_TRIGGER;
                }
                while (ip > anchor && ref > srcOff && src[ip - 1] == src[ref - 1]) { // extend backwards
                    ip--;
                    ref--;
                }
                int matchLength = MIN_MATCH;
                while (ip + matchLength < matchLimit && src[ip + matchLength] == src[ref + matchLength]) {
                    matchLength++;
                }
                dp = writeSequence(src, anchor, ip - anchor, ip - ref, matchLength, dst, dp);
                ip += matchLength;
                anchor = ip;
                if (ip > mfLimit) {
                    break;
                }
                table[hash(readInt(src, ip - 2))] = ip - 2;
            }
        }
        return writeLastLiterals(src, anchor, srcEnd - anchor, dst, dp);
    }

    private static int readInt(byte[] b, int i) {
        return (int) INT.get(b, i);
    }

    private static int hash(int sequence) {
        return (sequence * -1640531535) >>> (32 - HASH_LOG);
    }

    private static int writeSequence(byte[] src, int literalStart, int literalLength, int offset, int matchLength,
            byte[] dst, int dp) {
        int ml = matchLength - MIN_MATCH;
        int token = dp++;
        dst[token] = (byte) (Math.min(literalLength, RUN_MASK) << 4 | Math.min(ml, ML_MASK));
        if (literalLength >= RUN_MASK) {
            dp = writeLength(literalLength - RUN_MASK, dst, dp);
        }
        System.arraycopy(src, literalStart, dst, dp, literalLength);
        dp += literalLength;
        dst[dp++] = (byte) offset;
        dst[dp++] = (byte) (offset >>> 8);
        if (ml >= ML_MASK) {
            dp = writeLength(ml - ML_MASK, dst, dp);
        }
        return dp;
    }

    private static int writeLastLiterals(byte[] src, int literalStart, int literalLength, byte[] dst, int dp) {
        dst[dp++] = (byte) (Math.min(literalLength, RUN_MASK) << 4);
        if (literalLength >= RUN_MASK) {
            dp = writeLength(literalLength - RUN_MASK, dst, dp);
        }
        System.arraycopy(src, literalStart, dst, dp, literalLength);
        return dp + literalLength;
    }

    private static int writeLength(int length, byte[] dst, int dp) {
        while (length >= 255) {
            dst[dp++] = (byte) 255;
            length -= 255;
        }
        dst[dp++] = (byte) length;
        return dp;
    }
}
