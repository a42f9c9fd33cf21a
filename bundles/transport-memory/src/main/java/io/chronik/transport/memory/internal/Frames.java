package io.chronik.transport.memory.internal;

import java.io.IOException;
import java.io.NotSerializableException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

import org.apache.ratis.thirdparty.com.google.protobuf.InvalidProtocolBufferException;
import org.apache.ratis.thirdparty.com.google.protobuf.MessageLite;
import org.apache.ratis.thirdparty.com.google.protobuf.Parser;
import org.apache.ratis.util.IOUtils;

/** Encoding and decoding of the memory transport's frames (see {@link Call}). Stateless. */
final class Frames {
    private Frames() {
    }

    /** A request frame: the call's code, then the message. */
    static byte[] request(Call call, MessageLite message) {
        return withHead(call.code(), message.toByteArray());
    }

    /** A successful reply frame. */
    static byte[] ok(MessageLite message) {
        return withHead(Call.OK, message.toByteArray());
    }

    /** A failed reply frame carrying {@code error} (or, if it cannot be serialized, an IOException saying what it was). */
    static byte[] failed(Throwable error) {
        Throwable e = unwrap(error);
        byte[] body;
        try {
            body = IOUtils.object2Bytes(e);
        } catch (RuntimeException notSerializable) {
            body = IOUtils.object2Bytes(new IOException(e.getClass().getName() + ": " + e.getMessage()
                    + " (not serializable: " + notSerializable.getMessage() + ")"));
        }
        return withHead(Call.FAILED, body);
    }

    /** The call of a request frame. */
    static Call callOf(byte[] request) {
        if (request.length == 0) {
            throw new IllegalArgumentException("empty memory transport frame");
        }
        return Call.of(request[0]);
    }

    /** The message of a request or successful reply frame. */
    static <M> M body(byte[] frame, Parser<M> parser) throws InvalidProtocolBufferException {
        return parser.parseFrom(frame, 1, frame.length - 1);
    }

    /**
     * The message of a reply frame.
     *
     * @throws IOException the exception a failed reply carries (wrapped into an IOException if it is none)
     */
    static <M> M reply(byte[] frame, Parser<M> parser) throws IOException {
        if (frame.length == 0) {
            throw new IOException("empty memory transport reply");
        }
        if (frame[0] == Call.FAILED) {
            Throwable t;
            try {
                t = IOUtils.bytes2Object(java.util.Arrays.copyOfRange(frame, 1, frame.length), Throwable.class);
            } catch (IllegalStateException e) {
                throw new NotSerializableException("cannot read the exception a memory transport peer answered with: "
                        + e.getMessage());
            }
            throw asIOException(t);
        }
        return body(frame, parser);
    }

    /** {@code t} itself if it is an IOException, else an IOException with it as the cause. */
    static IOException asIOException(Throwable t) {
        Throwable e = unwrap(t);
        return e instanceof IOException io ? io : new IOException(e);
    }

    /** The cause of a completion or execution exception, else {@code t}. */
    static Throwable unwrap(Throwable t) {
        Throwable e = t;
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    private static byte[] withHead(byte head, byte[] body) {
        byte[] frame = new byte[body.length + 1];
        frame[0] = head;
        System.arraycopy(body, 0, frame, 1, body.length);
        return frame;
    }
}
