package io.chronik.launcher;

/** A {@code host:port} address ({@code [v6]:port} for IPv6 literals), validated. */
record HostPort(String host, int port) {

    static boolean hasPort(String value) {
        int colon = value.lastIndexOf(':');
        return colon > 0 && (value.indexOf(':') == colon || value.startsWith("[") && value.lastIndexOf(']') < colon);
    }

    static HostPort parse(String value, String what) throws UsageException {
        int colon = value == null ? -1 : value.lastIndexOf(':');
        if (colon <= 0 || colon == value.length() - 1) {
            throw new UsageException(what + " '" + value + "' is not host:port");
        }
        String host = value.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            throw new UsageException(what + " '" + value + "': write IPv6 addresses as [addr]:port");
        }
        int port;
        try {
            port = Integer.parseInt(value.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new UsageException(what + " '" + value + "' has a non-numeric port");
        }
        if (port < 1 || port > 65535 || host.isEmpty()) {
            throw new UsageException(what + " '" + value + "': port must be 1-65535 and host non-empty");
        }
        return new HostPort(host, port);
    }

    @Override
    public String toString() {
        return host.contains(":") ? "[" + host + "]:" + port : host + ":" + port;
    }
}
