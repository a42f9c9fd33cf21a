package io.chronik.protocol.kafka.internal.codec;

import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.message.RequestHeaderData;

import io.netty.buffer.ByteBuf;

/**
 * One decoded request: its header and its body as kafka-clients' generated message. The body may reference
 * the frame's memory (Produce records are slices of it): a handler that keeps the body beyond its call must
 * {@link #retainFrame()} and later {@link #releaseFrame()}.
 */
public final class KafkaRequest {
    private final ApiKeys apiKey;
    private final RequestHeaderData header;
    private final ApiMessage body;
    private final ByteBuf frame;
    private final String clientHost;

    KafkaRequest(ApiKeys apiKey, RequestHeaderData header, ApiMessage body, ByteBuf frame, String clientHost) {
        this.clientHost = clientHost;
        this.apiKey = apiKey;
        this.header = header;
        this.body = body;
        this.frame = frame;
    }

    public ApiKeys apiKey() {
        return apiKey;
    }

    public short version() {
        return header.requestApiVersion();
    }

    public int correlationId() {
        return header.correlationId();
    }

    public String clientId() {
        return header.clientId();
    }

    /** The client's address as Kafka shows it ({@code /127.0.0.1}), or empty if unknown. */
    public String clientHost() {
        return clientHost;
    }

    @SuppressWarnings("unchecked")
    public <T extends ApiMessage> T body() {
        return (T) body;
    }

    /** The response outcome carrying {@code body}, encoded at this request's version with its correlation id. */
    public Outcome respond(ApiMessage body) {
        return new Outcome(body, header.requestApiVersion(), header.correlationId(),
                apiKey.responseHeaderVersion(header.requestApiVersion()), false);
    }

    public void retainFrame() {
        frame.retain();
    }

    public void releaseFrame() {
        frame.release();
    }

    @Override
    public String toString() {
        return apiKey + " v" + header.requestApiVersion() + " correlation " + header.correlationId()
                + " from " + header.clientId();
    }
}
