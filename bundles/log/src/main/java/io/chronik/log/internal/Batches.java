package io.chronik.log.internal;

/** Layout of the Kafka magic v2 record batch header (all big-endian). */
public final class Batches {
    public static final int BASE_OFFSET = 0;
    public static final int LENGTH = 8;
    /** baseOffset + batchLength: the bytes not counted by batchLength. */
    public static final int LOG_OVERHEAD = 12;
    public static final int PARTITION_LEADER_EPOCH = 12;
    public static final int MAGIC = 16;
    public static final int CRC = 17;
    public static final int ATTRIBUTES = 21;
    public static final int LAST_OFFSET_DELTA = 23;
    public static final int BASE_TIMESTAMP = 27;
    public static final int MAX_TIMESTAMP = 35;
    public static final int PRODUCER_ID = 43;
    public static final int PRODUCER_EPOCH = 51;
    public static final int BASE_SEQUENCE = 53;
    public static final int RECORD_COUNT = 57;
    public static final int HEADER_SIZE = 61;
    /** The smallest legal value of batchLength. */
    public static final int MIN_BATCH_LENGTH = HEADER_SIZE - LOG_OVERHEAD;

    public static final byte MAGIC_V2 = 2;
    public static final int COMPRESSION_MASK = 0x07;
    public static final int TIMESTAMP_TYPE_BIT = 0x08;
    public static final int TRANSACTIONAL_BIT = 0x10;
    public static final int CONTROL_BIT = 0x20;
    /** The highest compression codec id Kafka defines (zstd). */
    public static final int MAX_COMPRESSION = 4;

    private Batches() {
    }

    /**
     * The sequence after {@code baseSequence} advanced by {@code increment}, wrapping at Integer.MAX_VALUE like
     * Kafka's {@code DefaultRecordBatch.incrementSequence}.
     */
    public static int incrementSequence(int baseSequence, int increment) {
        if (baseSequence > Integer.MAX_VALUE - increment) {
            return increment - (Integer.MAX_VALUE - baseSequence) - 1;
        }
        return baseSequence + increment;
    }

    /** Whether {@code next} directly follows {@code last}. */
    public static boolean inSequence(int last, int next) {
        return next == last + 1L || (next == 0 && last == Integer.MAX_VALUE);
    }
}
