package io.chronik.api.net;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * A {@code host:port} network address as written in Chronik's settings ({@code kafka.addr}, {@code raft.addr},
 * {@code advertised.addr}, {@code peers}, {@code metrics.addr}, the launcher's flags). Immutable value type; JDK only.
 *
 * <p><b>The one rule set.</b> After leading and trailing white space is stripped, an address is
 * <pre>
 *   host:port     a host name or IPv4 address: letters, digits, '-', '.', '_'  (broker-1:9092, 10.0.0.7:9092)
 *   [ipv6]:port   an IPv6 literal in brackets, optionally with a %zone           ([::1]:9092, [fe80::1%eth0]:9092)
 *   :port         no host: every local interface (listen addresses only)
 * </pre>
 * The port is decimal digits only (no sign), 1–65535; an address to listen on may also use port 0, which lets the
 * operating system pick a free port. Two parsers apply this grammar:
 * <ul>
 * <li>{@link #parse(String)}: an address that names one endpoint, which clients or peers can be told about: the host
 * is required and the port is 1–65535. {@link #parse(String, int)} also reads a host without {@code :port} and
 * gives it a default port.</li>
 * <li>{@link #parseListen(String)}: an address to bind a server socket to: the host may be empty (every interface)
 * and the port may be 0.</li>
 * </ul>
 * An IPv6 literal without brackets ({@code ::1:9092}) is rejected: its port would be ambiguous. Host names are not
 * resolved while parsing; {@link #socketAddress()} resolves them.
 *
 * <p>{@link #toString()} writes the form that {@link #parseListen} reads back to an equal value (and {@link #parse}
 * too, if the host is not empty and the port not 0): {@code host:port}, or {@code [ipv6]:port} if the host contains a
 * {@code ':'}. Text that was parsed is normalised ({@code " h:080 "} becomes {@code h:80}).
 *
 * <p><b>Errors.</b> Every parse error is an {@link IllegalArgumentException} whose one-line message starts with the
 * bad input in quotes and says what is wrong and which form is expected, for example
 * {@code 'broker:abc' is not host:port: non-numeric port 'abc'}; callers prefix the setting's name.
 *
 * <p><b>Thread-safety.</b> Instances are immutable and thread-safe. No method blocks except
 * {@link #socketAddress()}, which may wait for name resolution.
 *
 * @param host the host name, IPv4 address or IPv6 literal (without brackets); empty means every local interface
 * @param port the port, 0–65535 (0: any free port)
 */
public record HostPort(String host, int port) {

    private static final String LISTEN_PORTS = "0-65535";
    private static final String PORTS = "1-65535";

    /**
     * Creates an address from its parts, checked by the rules of {@link #parseListen}.
     *
     * @throws IllegalArgumentException if the host has characters outside the rule set (an IPv6 literal is given
     *                                  without brackets here) or the port is not 0–65535
     * @throws NullPointerException     if {@code host} is null
     */
    public HostPort {
        Objects.requireNonNull(host, "host");
        String problem = host.indexOf(':') >= 0 ? ipv6Problem(host) : nameProblem(host);
        if (problem != null) {
            throw new IllegalArgumentException("host '" + host + "' is not valid: " + problem);
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be " + LISTEN_PORTS + " (got " + port + ")");
        }
    }

    /**
     * Parses an address that names one endpoint: {@code host:port} or {@code [ipv6]:port}, host required, port
     * 1–65535.
     *
     * @param text the address; leading and trailing white space is ignored
     * @return the address
     * @throws IllegalArgumentException if {@code text} is null or does not follow the rules; the message names it
     */
    public static HostPort parse(String text) {
        return parse(text, -1, false);
    }

    /**
     * Parses like {@link #parse(String)}, but an address without {@code :port} ({@code broker-1}, {@code [::1]})
     * takes {@code defaultPort}.
     *
     * @param text        the address; leading and trailing white space is ignored
     * @param defaultPort the port of an address that names none, 1–65535
     * @return the address
     * @throws IllegalArgumentException if {@code text} is null or does not follow the rules, or {@code defaultPort} is
     *                                  not 1–65535
     */
    public static HostPort parse(String text, int defaultPort) {
        if (defaultPort < 1 || defaultPort > 65535) {
            throw new IllegalArgumentException("default port must be " + PORTS + " (got " + defaultPort + ")");
        }
        return parse(text, defaultPort, false);
    }

    /**
     * Parses an address to listen on: like {@link #parse(String)}, but the host may be empty ({@code :9092}: every
     * local interface) and the port may be 0 (a free port chosen when the socket is bound).
     *
     * @param text the address; leading and trailing white space is ignored
     * @return the address
     * @throws IllegalArgumentException if {@code text} is null or does not follow the rules; the message names it
     */
    public static HostPort parseListen(String text) {
        return parse(text, -1, true);
    }

    /**
     * The socket address to bind or connect to: the wildcard address if the host is empty, else the host resolved
     * (an unresolved {@link InetSocketAddress} if resolution fails). Blocks while the host name is resolved.
     */
    public InetSocketAddress socketAddress() {
        return host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
    }

    /** {@code host:port}, or {@code [host]:port} if the host is an IPv6 literal; parses back to an equal value. */
    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }

    private static HostPort parse(String text, int defaultPort, boolean listen) {
        if (text == null) {
            throw new IllegalArgumentException("no address given: expected host:port");
        }
        String t = text.strip();
        if (t.isEmpty()) {
            throw invalid(text, "the address is empty");
        }
        String host;
        String portText;
        if (t.startsWith("[")) {
            int close = t.indexOf(']');
            if (close < 0) {
                throw invalid(text, "'[' without ']'; write an IPv6 address as [address]:port");
            }
            host = t.substring(1, close);
            String problem = ipv6Problem(host);
            if (problem != null) {
                throw invalid(text, problem);
            }
            if (close == t.length() - 1) {
                if (defaultPort > 0) {
                    return new HostPort(host, defaultPort);
                }
                throw invalid(text, "missing ':port'");
            }
            if (t.charAt(close + 1) != ':') {
                throw invalid(text, "expected ':port' after ']'");
            }
            portText = t.substring(close + 2);
        } else {
            int colon = t.lastIndexOf(':');
            if (colon < 0 && defaultPort > 0) {
                colon = t.length();
                t = t + ":" + defaultPort;
            }
            if (colon < 0) {
                throw invalid(text, "missing ':port'");
            }
            host = t.substring(0, colon);
            if (host.indexOf(':') >= 0) {
                throw invalid(text, "write an IPv6 address in brackets, as [address]:port");
            }
            String problem = nameProblem(host);
            if (problem != null) {
                throw invalid(text, problem);
            }
            portText = t.substring(colon + 1);
        }
        if (host.isEmpty() && !listen) {
            throw invalid(text, "missing host before ':'");
        }
        int port = port(text, portText, listen);
        return new HostPort(host, port);
    }

    private static int port(String text, String portText, boolean listen) {
        if (portText.isEmpty()) {
            throw invalid(text, "missing port after ':'");
        }
        int port = 0;
        for (int i = 0; i < portText.length(); i++) {
            char c = portText.charAt(i);
            if (c < '0' || c > '9') {
                throw invalid(text, "non-numeric port '" + portText + "'");
            }
            port = Math.min(port * 10 + (c - '0'), 65536); // capped: no overflow however many digits
        }
        if (port > 65535 || port == 0 && !listen) {
            throw invalid(text, "port must be " + (listen ? LISTEN_PORTS : PORTS) + " (got " + portText + ")");
        }
        return port;
    }

    /** Why {@code host} is not empty, a host name or an IPv4 address, or null if it is. */
    private static String nameProblem(String host) {
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            if (!isNameChar(c)) {
                return "character '" + c + "' is not allowed in a host name or IPv4 address"
                        + " (letters, digits, '-', '.', '_')";
            }
        }
        return null;
    }

    /** Why {@code address} (without brackets) is not an IPv6 literal, or null if it is one. */
    private static String ipv6Problem(String address) {
        int zone = address.indexOf('%');
        String literal = zone < 0 ? address : address.substring(0, zone);
        if (literal.indexOf(':') < 0) {
            return "'" + address + "' in brackets is not an IPv6 address (brackets are for IPv6 only)";
        }
        for (int i = 0; i < literal.length(); i++) {
            char c = literal.charAt(i);
            if (!(c == ':' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F')) {
                return "character '" + c + "' is not allowed in an IPv6 address";
            }
        }
        if (zone >= 0) {
            String id = address.substring(zone + 1);
            if (id.isEmpty() || !id.chars().allMatch(c -> isNameChar((char) c))) {
                return "'" + id + "' is not a valid IPv6 zone";
            }
        }
        return null;
    }

    private static boolean isNameChar(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_';
    }

    private static IllegalArgumentException invalid(String text, String reason) {
        return new IllegalArgumentException("'" + text + "' is not host:port: " + reason);
    }
}
