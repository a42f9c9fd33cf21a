package io.chronik.raft.internal;

import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

import io.chronik.api.consensus.ConsensusException;
import io.chronik.api.consensus.ConsensusException.Reason;

/**
 * The outcome of applying a command: {@link Ok} with a value, or {@link Failed} with the reason, or for a command
 * that carries several ({@link CreateTopics}) {@link Many}, one outcome each. Encoded into the entry's reply as one
 * byte (0 = ok, {@value #MANY} = many, else the reason's ordinal + 1), then for ok and failed the nullable message and
 * the value, for many the count and each outcome.
 */
sealed interface MetaResult {
    static MetaResult ok(long value) {
        return new Ok(value);
    }

    static MetaResult fail(Reason reason, String message) {
        return new Failed(reason, message);
    }

    /** The code of a {@link Many} result. */
    int MANY = 255;

    /** This result if it is {@link Ok}. */
    Ok orThrow() throws ConsensusException;

    /** Whether the command changed the state (for {@link Many}: whether one of its parts did). */
    boolean tookEffect();

    byte[] encode();

    static MetaResult decode(DataInput in) throws IOException {
        int code = in.readUnsignedByte();
        if (code == MANY) {
            int n = in.readInt();
            List<MetaResult> results = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                results.add(decode(in));
            }
            return new Many(results);
        }
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
        public boolean tookEffect() {
            return true;
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
        public boolean tookEffect() {
            return false;
        }

        @Override
        public byte[] encode() {
            return MetaResult.encode(error, message, 0);
        }
    }

    /** The outcomes of the parts of one command, in order. */
    record Many(List<MetaResult> results) implements MetaResult {
        public Many {
            results = List.copyOf(results);
        }

        /** Ok (with the number of parts) if every part is, else the first part's failure. */
        @Override
        public Ok orThrow() throws ConsensusException {
            for (MetaResult r : results) {
                r.orThrow();
            }
            return new Ok(results.size());
        }

        @Override
        public boolean tookEffect() {
            for (MetaResult r : results) {
                if (r.tookEffect()) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public byte[] encode() {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(16 + 16 * results.size());
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                out.writeByte(MANY);
                out.writeInt(results.size());
                for (MetaResult r : results) {
                    out.write(r.encode());
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return bytes.toByteArray();
        }
    }
}
