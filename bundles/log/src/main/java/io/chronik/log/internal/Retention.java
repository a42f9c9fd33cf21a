package io.chronik.log.internal;

import java.io.IOException;
import java.nio.file.Files;

import io.chronik.log.LogConfig;

/**
 * Which of the oldest segments may go (the cut of Kafka's log-start-offset, retention.ms and retention.bytes
 * breaches). Only decides: the caller moves the log start offset and deletes the segments. Never counts the active
 * (last) segment. Called by the log's writer thread.
 */
public final class Retention {
    private Retention() {
    }

    /** How many of the oldest segments lie wholly below {@code logStartOffset} (DeleteRecords). */
    public static int belowLogStart(LogSegments segments, long logStartOffset) {
        Segment[] segs = segments.snapshot();
        int k = 0;
        while (k < segs.length - 1 && segs[k + 1].baseOffset() <= logStartOffset) {
            k++;
        }
        return k;
    }

    /**
     * How many of the oldest segments breach retention.ms (their greatest timestamp, or the log file's
     * modification time if they have none, is more than retention.ms before {@code nowMs}) and, after those,
     * retention.bytes (the log without the segment would still hold at least retention.bytes). A negative limit
     * is no limit.
     *
     * @throws IOException if a log file's modification time cannot be read
     */
    public static int breached(LogSegments segments, LogConfig cfg, long nowMs) throws IOException {
        Segment[] segs = segments.snapshot();
        int k = 0;
        if (cfg.retentionMs() >= 0) {
            while (k < segs.length - 1) {
                long ts = segs[k].maxTimestamp();
                if (ts < 0) {
                    ts = Files.getLastModifiedTime(segs[k].logFile()).toMillis();
                }
                if (nowMs - ts > cfg.retentionMs()) {
                    k++;
                } else {
                    break;
                }
            }
        }
        if (cfg.retentionBytes() >= 0) {
            long total = 0;
            for (int i = k; i < segs.length; i++) {
                total += segs[i].size();
            }
            while (k < segs.length - 1 && total - segs[k].size() >= cfg.retentionBytes()) {
                total -= segs[k].size();
                k++;
            }
        }
        return k;
    }
}
