package io.chronik.metrics.prometheus.internal;

import java.net.InetSocketAddress;

/** A {@code host:port} listen address as configured ({@code [v6-address]:port} for IPv6). */
final class ListenAddress {
    private final String text;
    private final String host;
    private final int port;

    private ListenAddress(String text, String host, int port) {
        this.text = text;
        this.host = host;
        this.port = port;
    }

    /** @throws IllegalArgumentException if {@code text} is not {@code host:port} */
    static ListenAddress parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("metrics address is empty; expected host:port, for example 0.0.0.0:9101");
        }
        String t = text.trim();
        int colon = t.lastIndexOf(':');
        if (colon < 0) {
            throw invalid(t);
        }
        String host = t.substring(0, colon);
        String portText = t.substring(colon + 1);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.indexOf(':') >= 0) {
            throw invalid(t);
        }
        int port;
        try {
            port = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            throw invalid(t);
        }
        if (port < 0 || port > 65535 || portText.startsWith("+")) {
            throw invalid(t);
        }
        return new ListenAddress(t, host, port);
    }

    private static IllegalArgumentException invalid(String text) {
        return new IllegalArgumentException("invalid metrics address '" + text
                + "': expected host:port ([address]:port for IPv6, port 0-65535), for example 0.0.0.0:9101");
    }

    /** The socket address; unresolved if the host name cannot be resolved. */
    InetSocketAddress socketAddress() {
        return host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
    }

    @Override
    public String toString() {
        return text;
    }
}
