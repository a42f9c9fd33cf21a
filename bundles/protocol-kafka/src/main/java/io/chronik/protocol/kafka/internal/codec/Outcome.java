package io.chronik.protocol.kafka.internal.codec;

import org.apache.kafka.common.protocol.ApiMessage;

/**
 * What the connection does once a request is handled: send a response body, send nothing (Produce with
 * acks=0), or close the connection.
 */
public final class Outcome {
    public static final Outcome NONE = new Outcome(null, (short) 0, 0, (short) 0, false);
    public static final Outcome CLOSE = new Outcome(null, (short) 0, 0, (short) 0, true);

    final ApiMessage body;
    final short version;
    final int correlationId;
    final short headerVersion;
    final boolean close;

    Outcome(ApiMessage body, short version, int correlationId, short headerVersion, boolean close) {
        this.body = body;
        this.version = version;
        this.correlationId = correlationId;
        this.headerVersion = headerVersion;
        this.close = close;
    }

    public boolean isClose() {
        return close;
    }

    public boolean hasResponse() {
        return body != null;
    }

    public ApiMessage body() {
        return body;
    }

    public short version() {
        return version;
    }
}
