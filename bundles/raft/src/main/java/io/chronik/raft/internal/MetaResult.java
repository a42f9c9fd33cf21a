package io.chronik.raft.internal;

import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

import io.chronik.api.consensus.ConsensusException;
import io.chronik.api.consensus.ConsensusException.Reason;

/**
 * The outcome of applying a command: {@link Ok} with a value, or {@link Failed} with the reason. Encoded into the
 * entry's reply as one byte (0 = ok, else the reason's ordinal + 1), the nullable message and the value.
 */
sealed interface MetaResult {
    static MetaResult ok(long value) {
        return new Ok(value);
    }

    static MetaResult fail(Reason reason, String message) {
        return new Failed(reason, message);
    }

    /** This result if it is {@link Ok}. */
    Ok orThrow() throws ConsensusException;

    byte[] encode();

    static MetaResult decode(DataInput in) throws IOException {
        int code = in.readUnsignedByte();
        String message = Codec.readNullableString(in);
        long value = in.readLong();
        return code == 0 ? new Ok(value) : new Failed(Reason.values()[code - 1], message);
    }

    private static byte[] encode(Reason error, String message, long value) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(32);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(error == null ? 0 : error.ordinal() + 1);
            Codec.writeNullableString(out, message);
            out.writeLong(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** The command took effect; {@code value} is its answer (the first producer id of a block, else 0). */
    record Ok(long value) implements MetaResult {
        @Override
        public Ok orThrow() {
            return this;
        }

        @Override
        public byte[] encode() {
            return MetaResult.encode(null, null, value);
        }
    }

    /** The command was refused; the state is unchanged. */
    record Failed(Reason error, String message) implements MetaResult {
        @Override
        public Ok orThrow() throws ConsensusException {
            throw new ConsensusException(error, message);
        }

        @Override
        public byte[] encode() {
            return MetaResult.encode(error, message, 0);
        }
    }
}
