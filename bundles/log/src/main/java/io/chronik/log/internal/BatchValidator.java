package io.chronik.log.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

import io.chronik.api.consensus.ConsensusException;
import io.chronik.api.consensus.ConsensusException.Reason;
import io.chronik.log.LogConfig;

/**
 * The checks of magic v2 record batches (the layout is {@link Batches}): the integrity check any holder of
 * produced bytes can make ({@link #checkIntegrity}: framing, magic, CRC32C), the full check the log makes before an
 * append ({@link #validate}: also size, attributes, record count and timestamps against the topic's config), and
 * the framing and CRC checks recovery makes of stored batches ({@link #storedHeaderProblem}, {@link #crcMatches}).
 *
 * <p>An instance keeps a CRC32C and is confined to one thread (the log's writer); the static methods are
 * thread-safe.
 */
public final class BatchValidator {
    private final CRC32C crc = new CRC32C();

    /**
     * Checks that {@code batches} (position to limit; neither the content nor the position is modified) holds one
     * or more complete magic v2 record batches, each with a valid CRC32C.
     *
     * @throws ConsensusException CORRUPT_RECORD if it is empty, truncated, of another magic or corrupt
     */
    public static void checkIntegrity(ByteBuffer batches) throws ConsensusException {
        ByteBuffer in = batches.duplicate().order(ByteOrder.BIG_ENDIAN);
        int start = in.position();
        int end = in.limit();
        if (start == end) {
            throw corrupt("No record batches (empty buffer)");
        }
        CRC32C crc = new CRC32C();
        for (int p = start; p < end; ) {
            int size = checkFrame(in, p, end, p - start);
            checkCrc(in, p, size, p - start, crc);
            p += size;
        }
    }

    /**
     * Validates the batch at {@code p} of {@code in} (which ends at {@code end}; {@code at} is its position for
     * messages) for an append at {@code nowMs} under {@code cfg}; returns its size in bytes.
     *
     * @throws ConsensusException CORRUPT_RECORD (malformed, bad CRC, unsupported magic or compression, record
     *                            count not matching the offset delta), RECORD_TOO_LARGE, INVALID_REQUEST
     *                            (transactional or control batches), INVALID_TIMESTAMP
     */
    public int validate(ByteBuffer in, int p, int end, LogConfig cfg, long nowMs, int at) throws ConsensusException {
        int size = checkFrame(in, p, end, at);
        if (size > cfg.maxMessageBytes()) {
            throw new ConsensusException(Reason.RECORD_TOO_LARGE, "Record batch of " + size
                    + " bytes exceeds max.message.bytes " + cfg.maxMessageBytes());
        }
        checkCrc(in, p, size, at, crc);
        short attributes = in.getShort(p + Batches.ATTRIBUTES);
        if ((attributes & Batches.CONTROL_BIT) != 0) {
            throw new ConsensusException(Reason.INVALID_REQUEST, "Control batches are not supported");
        }
        if ((attributes & Batches.TRANSACTIONAL_BIT) != 0) {
            throw new ConsensusException(Reason.INVALID_REQUEST, "Transactional batches are not supported");
        }
        if ((attributes & Batches.COMPRESSION_MASK) > Batches.MAX_COMPRESSION) {
            throw corrupt("Record batch at byte " + at + " has unknown compression codec "
                    + (attributes & Batches.COMPRESSION_MASK));
        }
        int count = in.getInt(p + Batches.RECORD_COUNT);
        int lastDelta = in.getInt(p + Batches.LAST_OFFSET_DELTA);
        if (count < 1 || lastDelta != count - 1) {
            throw corrupt("Record batch at byte " + at + " has record count " + count + " and last offset delta "
                    + lastDelta);
        }
        if (!cfg.isLogAppendTime()) {
            if ((attributes & Batches.TIMESTAMP_TYPE_BIT) != 0) {
                throw new ConsensusException(Reason.INVALID_TIMESTAMP,
                        "A producer batch must use CreateTime, not LogAppendTime");
            }
            checkTimestamp(in.getLong(p + Batches.BASE_TIMESTAMP), nowMs, cfg);
            checkTimestamp(in.getLong(p + Batches.MAX_TIMESTAMP), nowMs, cfg);
        }
        return size;
    }

    /** Checks the header and length of the batch at {@code p}: a whole header, a length within the buffer, magic 2. */
    private static int checkFrame(ByteBuffer in, int p, int end, int at) throws ConsensusException {
        if (end - p < Batches.HEADER_SIZE) {
            throw corrupt("Truncated record batch header at byte " + at + " (" + (end - p) + " bytes left)");
        }
        int length = in.getInt(p + Batches.LENGTH);
        if (length < Batches.MIN_BATCH_LENGTH || length > end - p - Batches.LOG_OVERHEAD) {
            throw corrupt("Record batch at byte " + at + " has length " + length + " but " + (end - p
                    - Batches.LOG_OVERHEAD) + " bytes follow");
        }
        byte magic = in.get(p + Batches.MAGIC);
        if (magic != Batches.MAGIC_V2) {
            throw corrupt("Record batch at byte " + at + " has magic " + magic + "; only magic 2 is supported");
        }
        return Batches.LOG_OVERHEAD + length;
    }

    /**
     * Recovery's check of a stored batch header ({@code header} holds its first {@link Batches#HEADER_SIZE} bytes
     * at index 0), found at byte {@code position} of a segment file whose data ends at {@code limit}: null if its
     * length fits the file and its magic is 2, else why not (for the log).
     */
    static String storedHeaderProblem(ByteBuffer header, long position, long limit) {
        int length = header.getInt(Batches.LENGTH);
        if (length < Batches.MIN_BATCH_LENGTH || position + Batches.LOG_OVERHEAD + length > limit) {
            return "batch length " + length + " at position " + position + " exceeds the file";
        }
        byte magic = header.get(Batches.MAGIC);
        if (magic != Batches.MAGIC_V2) {
            return "magic " + magic + " at position " + position;
        }
        return null;
    }

    /**
     * Whether {@code storedCrc} is the CRC32C of {@code covered} (a batch from its attributes to its end; consumed)
     * computed with {@code crc}.
     */
    static boolean crcMatches(int storedCrc, ByteBuffer covered, CRC32C crc) {
        crc.reset();
        crc.update(covered);
        return (int) crc.getValue() == storedCrc;
    }

    /** Checks the CRC32C of the {@code size}-byte batch at {@code p} (it covers attributes to the end). */
    private static void checkCrc(ByteBuffer in, int p, int size, int at, CRC32C crc) throws ConsensusException {
        ByteBuffer body = in.duplicate();
        body.limit(p + size).position(p + Batches.ATTRIBUTES);
        int stored = in.getInt(p + Batches.CRC);
        if (!crcMatches(stored, body, crc)) {
            throw corrupt("Record batch at byte " + at + " is corrupt: CRC32C " + Integer.toUnsignedString(stored)
                    + " stored, " + crc.getValue() + " computed");
        }
    }

    private static void checkTimestamp(long ts, long now, LogConfig cfg) throws ConsensusException {
        if (ts == -1) {
            return; // no timestamp
        }
        if (ts < 0) {
            throw new ConsensusException(Reason.INVALID_TIMESTAMP, "Invalid negative timestamp " + ts);
        }
        if (ts < now && now - ts > cfg.messageTimestampBeforeMaxMs()) {
            throw new ConsensusException(Reason.INVALID_TIMESTAMP, "Timestamp " + ts + " is more than "
                    + cfg.messageTimestampBeforeMaxMs() + " ms before the append time " + now
                    + " (message.timestamp.before.max.ms)");
        }
        if (ts > now && ts - now > cfg.messageTimestampAfterMaxMs()) {
            throw new ConsensusException(Reason.INVALID_TIMESTAMP, "Timestamp " + ts + " is more than "
                    + cfg.messageTimestampAfterMaxMs() + " ms after the append time " + now
                    + " (message.timestamp.after.max.ms)");
        }
    }

    private static ConsensusException corrupt(String message) {
        return new ConsensusException(Reason.CORRUPT_RECORD, message);
    }
}
