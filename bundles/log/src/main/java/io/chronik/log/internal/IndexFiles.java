package io.chronik.log.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Writing the in-memory offset and time indexes out to their files. */
final class IndexFiles {
    private IndexFiles() {
    }

    /** The file's bytes, or {@code null} if it does not exist or does not hold whole entries of {@code entrySize}. */
    static ByteBuffer read(Path file, int entrySize) throws IOException {
        if (!Files.exists(file)) {
            return null;
        }
        byte[] bytes = Files.readAllBytes(file);
        return bytes.length % entrySize == 0 ? ByteBuffer.wrap(bytes) : null;
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
