package io.chronik.log.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Writing the in-memory offset and time indexes out to their files. */
final class IndexFiles {
    private IndexFiles() {
    }

    /**
     * Writes {@code entries} (already encoded, flipped) at byte {@code position} of {@code file}, cuts the file at
     * {@code length} bytes and forces it if asked.
     */
    static void write(Path file, long position, ByteBuffer entries, long length, boolean fsync) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            long pos = position;
            while (entries.hasRemaining()) {
                pos += ch.write(entries, pos);
            }
            ch.truncate(length);
            if (fsync) {
                ch.force(true);
            }
        }
    }
}
