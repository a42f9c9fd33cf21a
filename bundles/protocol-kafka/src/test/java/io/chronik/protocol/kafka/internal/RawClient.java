package io.chronik.protocol.kafka.internal;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;

import org.apache.kafka.common.message.RequestHeaderData;
import org.apache.kafka.common.message.ResponseHeaderData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.requests.RequestUtils;

/** A Kafka client on a plain socket, for protocol-level tests (framing, pipelining, bad input). */
final class RawClient implements AutoCloseable {
    private final Socket socket;
    private final DataOutputStream out;
    private final DataInputStream in;

    RawClient(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(10_000);
        socket.setTcpNoDelay(true);
        out = new DataOutputStream(socket.getOutputStream());
        in = new DataInputStream(socket.getInputStream());
    }

    static byte[] frame(ApiKeys key, short version, int correlationId, ApiMessage body) {
        RequestHeaderData header = new RequestHeaderData().setRequestApiKey(key.id).setRequestApiVersion(version)
                .setCorrelationId(correlationId).setClientId("raw-test");
        ByteBuffer b = RequestUtils.serialize(header, key.requestHeaderVersion(version), body, version);
        ByteBuffer framed = ByteBuffer.allocate(4 + b.remaining());
        framed.putInt(b.remaining()).put(b);
        return framed.array();
    }

    void send(ApiKeys key, short version, int correlationId, ApiMessage body) throws IOException {
        write(frame(key, version, correlationId, body));
    }

    void write(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** Reads one response frame; returns its body positioned after the header of {@code headerVersion}. */
    ByteBufferAccessor receive(int expectedCorrelationId, short headerVersion) throws IOException {
        int len = in.readInt();
        byte[] b = new byte[len];
        in.readFully(b);
        ByteBufferAccessor acc = new ByteBufferAccessor(ByteBuffer.wrap(b));
        ResponseHeaderData h = new ResponseHeaderData(acc, headerVersion);
        if (h.correlationId() != expectedCorrelationId) {
            throw new AssertionError("expected correlation id " + expectedCorrelationId + ", got " + h.correlationId());
        }
        return acc;
    }

    <T extends ApiMessage> T receive(ApiKeys key, short version, int correlationId) throws IOException {
        ByteBufferAccessor acc = receive(correlationId, key.responseHeaderVersion(version));
        @SuppressWarnings("unchecked")
        T body = (T) key.messageType.newResponse();
        body.read(acc, version);
        return body;
    }

    /** Whether the server closes the connection (end of stream) within the socket timeout. */
    boolean closedByServer() throws IOException {
        try {
            socket.setSoTimeout(5_000);
            return in.read() == -1;
        } catch (EOFException e) {
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return e.getMessage() != null && e.getMessage().contains("reset");
        }
    }

    /** Whether the server closes the connection within half a second. */
    boolean closedByServerQuickly() throws IOException {
        try {
            socket.setSoTimeout(500);
            return in.read() == -1;
        } catch (SocketTimeoutException e) {
            return false;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
