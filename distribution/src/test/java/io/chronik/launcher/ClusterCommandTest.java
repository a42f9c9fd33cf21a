package io.chronik.launcher;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** {@code chronik cluster add-voter}: its command line, and its answer when no node runs on the data directory. */
public class ClusterCommandTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Main.run(List.of(args), Map.of(), tmp.getRoot().toPath(), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    public void aMissingOrBadNodeIdIsAUsageError() {
        assertEquals(2, run("cluster"));
        assertEquals(2, run("cluster", "remove-voter", "--node", "4"));
        assertEquals(2, run("cluster", "add-voter"));
        assertEquals(2, run("cluster", "add-voter", "--node", "four"));
        assertTrue(err.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8).contains("--node ID"));
    }

    @Test
    public void noRunningNodeOnTheDataDirectoryFails() throws Exception {
        String dir = tmp.newFolder("data").toString();
        assertEquals(1, run("cluster", "add-voter", "--node", "4", "--data-dir", dir));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("no running node answers in data directory"));
    }

    @Test
    public void helpNamesTheCommand() {
        assertEquals(0, run("--help"));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("cluster add-voter --node ID"));
    }
}
