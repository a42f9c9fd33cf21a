package io.chronik.log.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * Small state files written atomically (temp file, fsync, rename, fsync of the directory) with a magic number,
 * a version and a CRC32C trailer, so a torn or foreign file is detected on read.
 */
public final class StateFiles {
    public static final int VERSION = 1;

    private StateFiles() {
    }

    /** Writes {@code body} (position..limit) as {@code file} atomically. */
    public static void writeAtomically(Path file, int magic, ByteBuffer body) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + body.remaining() + 4);
        b.putInt(magic).putInt(VERSION).put(body.duplicate());
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, b.position());
        b.putInt((int) crc.getValue());
        b.flip();
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
        fsyncDirectory(file.getParent());
    }

    /** The body of {@code file}, or null if it does not exist; IOException if it is damaged. */
    public static ByteBuffer read(Path file, int magic) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return null;
        }
        if (bytes.length < 12) {
            throw new IOException(file + " is damaged: only " + bytes.length + " bytes");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        if ((int) crc.getValue() != b.getInt(bytes.length - 4)) {
            throw new IOException(file + " is damaged: checksum mismatch");
        }
        if (b.getInt() != magic) {
            throw new IOException(file + " is not a Chronik state file of the expected kind");
        }
        int version = b.getInt();
        if (version != VERSION) {
            throw new IOException(file + " has unsupported version " + version);
        }
        b.limit(bytes.length - 4);
        return b.slice();
    }

    /** fsyncs a directory so that renames and new files in it are durable (best effort where unsupported). */
    public static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            if (System.getProperty("os.name", "").toLowerCase().contains("win")) {
                return; // directories cannot be opened on Windows
            }
            throw e instanceof IOException ? (IOException) e : new IOException(e);
        }
    }
}
