package io.chronik.log.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The cap on open segment files: more segments than the cap stay usable (a closed file reopens on its next read or
 * write, with its content intact), the count stays near the cap, and a file in use is not closed under a reader.
 */
public class OpenSegmentFilesTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private static byte[] content(int i) {
        return ("segment " + i + " content").getBytes(StandardCharsets.UTF_8);
    }

    private static void append(Segment s, byte[] bytes) throws Exception {
        s.write(new ByteBuffer[] {ByteBuffer.wrap(bytes)}, 0, 1, bytes.length);
        s.publishSize(s.size() + bytes.length);
    }

    private static byte[] readAll(Segment s) throws Exception {
        ByteBuffer dst = ByteBuffer.allocate(s.size());
        s.readFully(dst, 0);
        return dst.array();
    }

    @Test
    public void moreSegmentsThanTheCapStayUsable() throws Exception {
        OpenSegmentFiles files = new OpenSegmentFiles(10);
        Path dir = tmp.newFolder().toPath();
        List<Segment> segments = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            Segment s = Segment.open(dir, i * 1000L, true, files);
            append(s, content(i));
            segments.add(s);
            assertTrue("open files " + files.openCount(), files.openCount() <= 10);
        }
        for (int i = 0; i < 100; i++) {
            Segment s = segments.get(i);
            assertArrayEquals(content(i), readAll(s));
            append(s, content(i)); // written after its file was closed and reopened
            s.flush();
        }
        for (int i = 0; i < 100; i++) {
            byte[] twice = new byte[2 * content(i).length];
            System.arraycopy(content(i), 0, twice, 0, content(i).length);
            System.arraycopy(content(i), 0, twice, content(i).length, content(i).length);
            assertArrayEquals(twice, readAll(segments.get(i)));
            assertEquals(twice.length, segments.get(i).fileSize());
        }
        assertTrue(files.openCount() <= 10);
        segments.forEach(Segment::close);
        assertEquals(0, files.openCount());
    }

    @Test
    public void readersNeverSeeTheirFileClosedUnderThem() throws Exception {
        OpenSegmentFiles files = new OpenSegmentFiles(4);
        Path dir = tmp.newFolder().toPath();
        List<Segment> segments = new ArrayList<>();
        byte[] big = new byte[256 * 1024];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31);
        }
        for (int i = 0; i < 16; i++) {
            Segment s = Segment.open(dir, i * 1000L, true, files);
            append(s, big);
            segments.add(s);
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> readers = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int first = t;
                readers.add(pool.submit(() -> {
                    for (int n = 0; n < 200; n++) {
                        assertArrayEquals(big, readAll(segments.get((first + n * 5) % segments.size())));
                    }
                    return null;
                }));
            }
            for (Future<?> f : readers) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertTrue("open files " + files.openCount(), files.openCount() <= 4 + 4);
        segments.forEach(Segment::close);
    }
}
