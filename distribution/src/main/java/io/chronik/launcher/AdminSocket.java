package io.chronik.launcher;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's local admin endpoint: a Unix domain socket in the data directory ({@code admin.sock}), so only
 * users who can reach the data directory can query the node and no TCP port is opened. A client sends one
 * command line; the node answers with text and closes. Commands: {@code status}, and those that bundles contribute
 * ({@link AdminCommands}, e.g. {@code add-voter <node-id>} from the consensus provider).
 */
final class AdminSocket implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AdminSocket.class);
    static final String FILE = "admin.sock";

    private final Path path;
    private final ServerSocketChannel server;
    private final Thread thread;

    /**
     * Opens the socket. The caller must hold the data directory's lock, so an existing socket file is stale.
     */
    AdminSocket(Path dataDir, Supplier<NodeStatus> status, Function<String, String> others) throws IOException {
        this.path = dataDir.resolve(FILE);
        Files.deleteIfExists(path);
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        thread = new Thread(() -> serve(status, others), "chronik-admin");
        thread.setDaemon(true);
        thread.start();
    }

    private void serve(Supplier<NodeStatus> status, Function<String, String> others) {
        while (server.isOpen()) {
            try (SocketChannel client = server.accept()) {
                String command = readLine(client);
                String answer = command.equals("status") ? status.get().render() : others.apply(command);
                client.write(ByteBuffer.wrap(answer.getBytes(StandardCharsets.UTF_8)));
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException | RuntimeException e) {
                LOG.warn("admin request failed: {}", e.toString());
            }
        }
    }

    private static String readLine(SocketChannel client) throws IOException {
        StringBuilder line = new StringBuilder();
        ByteBuffer one = ByteBuffer.allocate(1);
        while (line.length() < 256 && client.read(one.clear()) == 1 && one.get(0) != '\n') {
            line.append((char) one.get(0));
        }
        return line.toString().trim();
    }

    /** Sends {@code command} to the node whose data directory is {@code dataDir} and returns its answer. */
    static String request(Path dataDir, String command) throws IOException {
        try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(dataDir.resolve(FILE)))) {
            channel.write(ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.UTF_8)));
            return new String(Channels.newInputStream(channel).readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        Files.deleteIfExists(path);
    }
}
