package io.chronik.log;

/**
 * A file of a partition directory as linked into a snapshot by {@link SegmentLog#checkpointInto}: its name in the
 * directory and the number of its bytes that belong to the snapshot (a segment file may have grown since; its bytes
 * up to {@code size} never change).
 *
 * @param segment whether the file is a segment ({@code <base offset>.log}) file
 */
public record LinkedFile(String name, long size, boolean segment) {
}
