package io.chronik.log;

/**
 * The last checkpoint of a {@link SegmentLog}: everything up to Raft index {@code appliedIndex} (of term
 * {@code appliedTerm}) is durable in the segment files, which end at {@code logEndOffset}. {@code appliedIndex}
 * is -1 (and the others 0 / log start) when the log has never been checkpointed.
 */
public record Checkpoint(long appliedIndex, long appliedTerm, long logEndOffset) {
}
