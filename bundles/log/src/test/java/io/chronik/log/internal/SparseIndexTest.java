package io.chronik.log.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The load/persist code the offset and time indexes share. */
public class SparseIndexTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void offsetIndexPersistsItsPrefixAndLoadsItBack() throws Exception {
        Path file = tmp.getRoot().toPath().resolve("0.index");
        OffsetIndex index = new OffsetIndex();
        index.append(0, 0);
        index.append(10, 4096);
        index.persist(file, false, false);
        index.append(20, 8192);
        index.persist(file, false, true);
        assertEquals(3 * OffsetIndex.ENTRY_SIZE, Files.size(file));

        OffsetIndex loaded = new OffsetIndex();
        assertTrue(loaded.load(file, 10_000));
        assertEquals(3, loaded.count());
        assertEquals(4096, loaded.floorPosition(15));
        assertEquals(20, loaded.relativeOffset(2));
        assertFalse("a position beyond the log", loaded.load(file, 8192));
        assertEquals(0, loaded.count());
    }

    @Test
    public void timeIndexRewritesAndRejectsDisorder() throws Exception {
        Path file = tmp.getRoot().toPath().resolve("0.timeindex");
        TimeIndex index = new TimeIndex();
        index.maybeAppend(100, 0);
        index.maybeAppend(100, 3); // not above the last timestamp: ignored
        index.maybeAppend(200, 5);
        index.persist(file, false, false);
        index.clear();
        index.maybeAppend(50, 1);
        index.persist(file, true, false);
        assertEquals(TimeIndex.ENTRY_SIZE, Files.size(file));

        TimeIndex loaded = new TimeIndex();
        assertTrue(loaded.load(file, 1));
        assertEquals(50, loaded.lastTimestamp());
        assertEquals(1, loaded.lastRelativeOffset());
        assertFalse("a relative offset beyond the segment", loaded.load(file, 0));

        ByteBuffer disorder = ByteBuffer.allocate(2 * TimeIndex.ENTRY_SIZE);
        disorder.putLong(200).putInt(5).putLong(100).putInt(6);
        Files.write(file, disorder.array());
        assertFalse(loaded.load(file, 10));
        Files.write(file, new byte[TimeIndex.ENTRY_SIZE + 1]);
        assertFalse("not whole entries", loaded.load(file, 10));
        assertFalse("missing", loaded.load(file.resolveSibling("none"), 10));
    }
}
