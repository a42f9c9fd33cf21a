package io.chronik.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.apache.kafka.clients.admin.Admin;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * Malformed, truncated and absurd frames sent on raw sockets: each gets Kafka's error or a closed connection, and
 * the broker keeps serving everybody else.
 */
public class BadInputIT {
    private static Broker broker;

    @BeforeClass
    public static void startBroker() throws Exception {
        broker = Broker.start(ChronikProcess.copyDistribution());
    }

    @AfterClass
    public static void stopBroker() throws Exception {
        if (broker != null) {
            broker.close();
        }
    }

    private Socket connect() throws IOException {
        Socket s = new Socket("127.0.0.1", broker.kafkaPort);
        s.setSoTimeout(10_000);
        return s;
    }

    /** True if the peer closes the connection (EOF or reset) within the socket timeout. */
    private static boolean closedByPeer(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        try {
            return in.read() == -1;
        } catch (SocketException e) {
            return true;
        }
    }

    private static byte[] header(int apiKey, int apiVersion, int correlationId, String clientId) {
        byte[] id = clientId.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(2 + 2 + 4 + 2 + id.length);
        b.putShort((short) apiKey).putShort((short) apiVersion).putInt(correlationId).putShort((short) id.length).put(id);
        return b.array();
    }

    private static void frame(Socket s, byte[]... parts) throws IOException {
        int length = 0;
        for (byte[] p : parts) {
            length += p.length;
        }
        DataOutputStream out = new DataOutputStream(s.getOutputStream());
        out.writeInt(length);
        for (byte[] p : parts) {
            out.write(p);
        }
        out.flush();
    }

    private void assertBrokerStillServes() throws Exception {
        try (Admin admin = Admin.create(broker.adminConfig())) {
            assertEquals(1, admin.describeCluster().nodes().get().size());
        }
        // and a well-formed ApiVersions v0 on a raw socket is answered
        try (Socket s = connect()) {
            frame(s, header(18, 0, 7, "ok"));
            DataInputStream in = new DataInputStream(s.getInputStream());
            int size = in.readInt();
            assertTrue(size > 6);
            assertEquals(7, in.readInt());
            assertEquals("error code", 0, in.readShort());
        }
    }

    @Test
    public void absurdLengthPrefixesCloseTheConnectionWithoutAllocating() throws Exception {
        for (int length : List.of(Integer.MAX_VALUE, -1, 2 * 1024 * 1024 * 1024 - 1)) {
            try (Socket s = connect()) {
                new DataOutputStream(s.getOutputStream()).writeInt(length);
                assertTrue("length " + length + " closes the connection", closedByPeer(s));
            }
        }
        assertBrokerStillServes();
    }

    @Test
    public void truncatedFrameThenCloseLeavesTheBrokerServing() throws Exception {
        try (Socket s = connect()) {
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            out.writeInt(1000);
            out.write(header(3, 12, 1, "truncated"));
        }
        assertBrokerStillServes();
    }

    @Test
    public void unknownApiKeyClosesTheConnection() throws Exception {
        try (Socket s = connect()) {
            frame(s, header(9999, 0, 1, "unknown"));
            assertTrue(closedByPeer(s));
        }
        assertBrokerStillServes();
    }

    @Test
    public void garbageBodyClosesTheConnection() throws Exception {
        try (Socket s = connect()) {
            // Metadata v12 (flexible) with a body of random bytes
            byte[] garbage = new byte[64];
            new java.util.Random(3).nextBytes(garbage);
            frame(s, header(3, 12, 1, "garbage"), new byte[] {0}, garbage);
            assertTrue(closedByPeer(s));
        }
        try (Socket s = connect()) {
            // a frame shorter than a request header
            frame(s, new byte[] {0, 3});
            assertTrue(closedByPeer(s));
        }
        assertBrokerStillServes();
    }

    @Test
    public void unsupportedApiVersionsVersionIsAnsweredWithTheSupportedRanges() throws Exception {
        try (Socket s = connect()) {
            frame(s, header(18, 999, 42, "future-client"));
            DataInputStream in = new DataInputStream(s.getInputStream());
            int size = in.readInt();
            assertEquals(42, in.readInt());
            assertEquals("UNSUPPORTED_VERSION", 35, in.readShort());
            int apis = in.readInt();
            assertTrue("the v0 body lists the supported APIs", apis > 10 && size > 4 + 2 + 4 + apis * 6 - 1);
        }
        assertBrokerStillServes();
    }

    static void drain(InputStream in) throws IOException {
        try {
            while (in.read() != -1) {
                // discard
            }
        } catch (EOFException | SocketException ignored) {
            // closed
        }
    }
}
