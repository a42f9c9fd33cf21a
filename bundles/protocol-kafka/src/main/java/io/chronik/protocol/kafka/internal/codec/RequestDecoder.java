package io.chronik.protocol.kafka.internal.codec;

import java.nio.ByteBuffer;

import org.apache.kafka.common.message.RequestHeaderData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;

import io.netty.buffer.ByteBuf;

/**
 * Decodes one frame (without its length prefix) into a request with kafka-clients' generated classes: the
 * request header in the header version the API key and version call for (flexible versions carry tagged
 * fields), then the body. The decision what to do with frames that cannot be served follows Kafka's broker:
 * an unknown or unimplemented API key closes the connection; an unsupported version of ApiVersions is answered
 * with UNSUPPORTED_VERSION and the supported ranges in a v0 body (so that the client downgrades; Kafka lists only
 * ApiVersions' own range there, this broker lists every implemented API, a superset clients read the same way,
 * since they only look up the ApiVersions entry); an unsupported
 * version of any other API, or a body that does not parse, closes the connection.
 */
public final class RequestDecoder {

    /** A decoded request, or the outcome to produce at once instead of handling one. */
    public record Decoded(KafkaRequest request, Outcome immediate) {
    }

    private RequestDecoder() {
    }

    public static Decoded decode(ByteBuf frame) throws MalformedRequestException {
        return decode(frame, "");
    }

    /** @param clientHost the client's address as Kafka reports it in group descriptions ({@code /127.0.0.1}) */
    public static Decoded decode(ByteBuf frame, String clientHost) throws MalformedRequestException {
        if (frame.readableBytes() < 8) {
            throw new MalformedRequestException("frame of " + frame.readableBytes() + " bytes has no request header", null);
        }
        short keyId = frame.getShort(frame.readerIndex());
        short version = frame.getShort(frame.readerIndex() + 2);
        if (!ApiKeys.hasId(keyId)) {
            throw new MalformedRequestException("unknown API key " + keyId, null);
        }
        ApiKeys key = ApiKeys.forId(keyId);
        if (!ApiVersionTable.implemented(key)) {
            throw new MalformedRequestException("API " + key + " is not implemented", null);
        }
        if (key == ApiKeys.API_VERSIONS && !ApiVersionTable.supported(key, version)) {
            // KIP-511: a client newer than the broker must learn the supported ranges even if the broker cannot
            // parse its header or body, so only the correlation id is read
            int correlationId = frame.getInt(frame.readerIndex() + 4);
            return new Decoded(null, new Outcome(ApiVersionTable.response(Errors.UNSUPPORTED_VERSION), (short) 0,
                    correlationId, (short) 0, false));
        }
        ByteBuffer nio = frame.nioBuffer();
        RequestHeaderData header;
        try {
            header = new RequestHeaderData(new ByteBufferAccessor(nio), key.requestHeaderVersion(version));
            if (header.clientId() == null) {
                header.setClientId("");
            }
        } catch (RuntimeException e) {
            throw new MalformedRequestException("malformed request header of " + key + " v" + version, e);
        }
        if (!ApiVersionTable.supported(key, version)) {
            throw new MalformedRequestException("unsupported version " + version + " of " + key + " (supported "
                    + ApiVersionTable.min(key) + ".." + ApiVersionTable.max(key) + ")", null);
        }
        ApiMessage body;
        try {
            body = key.messageType.newRequest();
            body.read(new ByteBufferAccessor(nio), version);
        } catch (RuntimeException e) {
            throw new MalformedRequestException("malformed body of " + key + " v" + version, e);
        }
        return new Decoded(new KafkaRequest(key, header, body, frame, clientHost), null);
    }
}
