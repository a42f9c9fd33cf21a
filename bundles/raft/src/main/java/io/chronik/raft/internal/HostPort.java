package io.chronik.raft.internal;

/** A {@code host:port} pair. */
record HostPort(String host, int port) {

    static HostPort parse(String s, String what) {
        if (s == null || s.isBlank()) {
            throw new IllegalArgumentException(what + " must be host:port, got an empty value");
        }
        String v = s.trim();
        int colon = v.lastIndexOf(':');
        if (colon <= 0 || colon == v.length() - 1) {
            throw new IllegalArgumentException(what + " must be host:port, got '" + s + "'");
        }
        String host = v.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(v.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " must be host:port, got '" + s + "'");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(what + ": port out of range in '" + s + "'");
        }
        return new HostPort(host, port);
    }

    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
