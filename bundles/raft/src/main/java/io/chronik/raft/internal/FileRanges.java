package io.chronik.raft.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32;

/** Reading byte ranges of local files: as a stream (to archive them) and their CRC32. */
final class FileRanges {
    private static final int BUFFER = 64 * 1024;

    private FileRanges() {
    }

    /** The CRC32 of the bytes {@code [from, to)} of {@code file}. */
    static int crc(Path file, long from, long to) throws IOException {
        CRC32 crc = new CRC32();
        try (InputStream in = open(file, from, to)) {
            byte[] buf = new byte[BUFFER];
            int n;
            while ((n = in.read(buf)) > 0) {
                crc.update(buf, 0, n);
            }
        }
        return (int) crc.getValue();
    }

    /**
     * The bytes {@code [from, to)} of {@code file} as a stream (the file may be longer: a linked segment grows).
     *
     * @throws IOException from read if the file ends before {@code to}
     */
    static InputStream open(Path file, long from, long to) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        return new InputStream() {
            private long pos = from;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                int n = read(one, 0, 1);
                return n < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (pos >= to) {
                    return -1;
                }
                int want = (int) Math.min(len, to - pos);
                int n = ch.read(ByteBuffer.wrap(b, off, want), pos);
                if (n < 0) {
                    throw new IOException(file + " ends at " + pos + ", expected " + to + " bytes");
                }
                pos += n;
                return n;
            }

            @Override
            public void close() throws IOException {
                ch.close();
            }
        };
    }

    /** Copies {@code in} to {@code out}; returns the bytes copied, updating {@code crc}. */
    static long copy(InputStream in, OutputStream out, CRC32 crc) throws IOException {
        byte[] buf = new byte[BUFFER];
        long total = 0;
        int n;
        while ((n = in.read(buf)) > 0) {
            out.write(buf, 0, n);
            crc.update(buf, 0, n);
            total += n;
        }
        return total;
    }
}
