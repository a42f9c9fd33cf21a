package io.chronik.launcher;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * {@code chronik cluster add-voter} and {@code cluster decommission}: their command lines, their answer when no node
 * runs on the data directory, and how decommission follows the progress a node reports on its admin socket.
 */
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

    @Test
    public void decommissionNeedsANodeIdAndANumberOfSeconds() {
        assertEquals(2, run("cluster", "decommission"));
        assertEquals(2, run("cluster", "decommission", "--node", "x"));
        assertEquals(2, run("cluster", "decommission", "--node", "4", "--timeout-seconds", "soon"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--timeout-seconds needs a number of seconds"));
    }

    @Test
    public void decommissionWithoutARunningNodeFails() throws Exception {
        String dir = tmp.newFolder("data").toString();
        assertEquals(1, run("cluster", "decommission", "--node", "4", "--data-dir", dir));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("no running node answers in data directory"));
    }

    /**
     * A real admin socket on the data directory answers the decommission command with the given lines in turn (the
     * last one again once they run out) and records the command lines it receives.
     */
    private AdminSocket node(Path dir, List<String> received, String... answers) throws Exception {
        Iterator<String> next = List.of(answers).iterator();
        String[] last = {answers[0]};
        Function<String, String> commands = line -> {
            received.add(line);
            if (next.hasNext()) {
                last[0] = next.next();
            }
            return last[0] + "\n";
        };
        return new AdminSocket(dir, () -> null, commands);
    }

    @Test
    public void decommissionRepeatsTheCommandAndPrintsProgressUntilOk() throws Exception {
        Path dir = tmp.newFolder("data").toPath();
        List<String> received = Collections.synchronizedList(new ArrayList<>());
        try (AdminSocket socket = node(dir, received, "in progress: 3 partition(s) still have a replica on node 4",
                "in progress: 1 partition(s) still have a replica on node 4",
                "ok: node 4 holds no replicas and no metadata vote; it can be stopped")) {
            int code = Main.decommission(dir, 4, 30_000, 10, new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8));
            assertEquals(0, code);
        }
        assertEquals(List.of("decommission 4", "decommission 4", "decommission 4"), received);
        assertEquals("in progress: 3 partition(s) still have a replica on node 4\n"
                + "in progress: 1 partition(s) still have a replica on node 4\n"
                + "ok: node 4 holds no replicas and no metadata vote; it can be stopped\n", out.toString(StandardCharsets.UTF_8));
    }

    @Test
    public void decommissionStopsAtAnError() throws Exception {
        Path dir = tmp.newFolder("data").toPath();
        List<String> received = Collections.synchronizedList(new ArrayList<>());
        try (AdminSocket socket = node(dir, received, "in progress: 2 partition(s) still have a replica on node 3",
                "error: cannot decommission node 3: partition t-0 has 3 replica(s) [3, 1, 2] and no other broker can take")) {
            assertEquals(1, Main.decommission(dir, 3, 30_000, 10, new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8)));
        }
        assertEquals(2, received.size());
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("error: cannot decommission node 3"));
    }

    @Test
    public void decommissionGivesUpAfterTheTimeoutWithExitCode2() throws Exception {
        Path dir = tmp.newFolder("data").toPath();
        List<String> received = Collections.synchronizedList(new ArrayList<>());
        long start = System.currentTimeMillis();
        try (AdminSocket socket = node(dir, received, "in progress: 5 partition(s) still have a replica on node 4")) {
            assertEquals(2, run("cluster", "decommission", "--node", "4", "--data-dir", dir.toString(),
                    "--timeout-seconds", "1"));
        }
        long took = System.currentTimeMillis() - start;
        assertTrue("took " + took + " ms", took < 5000);
        assertTrue(received.size() >= 1 && received.size() <= 2);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("did not finish within 1 s"));
    }

    @Test
    public void helpNamesDecommission() {
        assertEquals(0, run("--help"));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("cluster decommission --node ID [--timeout-seconds T]"));
    }

    @Test
    public void decommissionStatusAsksOnceWithoutStartingAnything() throws Exception {
        Path dir = tmp.newFolder("data").toPath();
        List<String> received = Collections.synchronizedList(new ArrayList<>());
        try (AdminSocket socket = node(dir, received, "in progress: 2 partition(s) still have a replica on node 4")) {
            assertEquals(2, run("cluster", "decommission", "--node", "4", "--status", "--data-dir", dir.toString()));
        }
        assertEquals(List.of("decommission-status 4"), received);
        assertEquals("in progress: 2 partition(s) still have a replica on node 4\n", out.toString(StandardCharsets.UTF_8));
    }

    @Test
    public void decommissionCancelAsksOnceAndReportsTheAnswer() throws Exception {
        Path dir = tmp.newFolder("data").toPath();
        List<String> received = Collections.synchronizedList(new ArrayList<>());
        try (AdminSocket socket = node(dir, received, "ok: node 4 may receive new replicas again")) {
            assertEquals(0, run("cluster", "decommission", "--node", "4", "--cancel", "--data-dir", dir.toString()));
        }
        assertEquals(List.of("decommission-cancel 4"), received);
        assertEquals("ok: node 4 may receive new replicas again\n", out.toString(StandardCharsets.UTF_8));
        assertEquals(2, run("cluster", "decommission", "--node", "4", "--cancel", "--status", "--data-dir", dir.toString()));
    }
}
