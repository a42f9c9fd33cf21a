package io.chronik.api.net;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.net.InetSocketAddress;

import org.junit.Test;

public class HostPortTest {

    @Test
    public void parsesHostNamesIpv4AndBracketedIpv6() {
        assertEquals(new HostPort("broker-1.example.com", 9092), HostPort.parse("broker-1.example.com:9092"));
        assertEquals(new HostPort("my_service", 1), HostPort.parse("my_service:1"));
        assertEquals(new HostPort("10.0.0.7", 65535), HostPort.parse("10.0.0.7:65535"));
        assertEquals(new HostPort("::1", 9092), HostPort.parse("[::1]:9092"));
        assertEquals(new HostPort("2001:db8::7", 5001), HostPort.parse("[2001:db8::7]:5001"));
        assertEquals(new HostPort("::ffff:10.0.0.1", 80), HostPort.parse("[::ffff:10.0.0.1]:80"));
        assertEquals(new HostPort("fe80::1%eth0", 80), HostPort.parse("[fe80::1%eth0]:80"));
    }

    @Test
    public void surroundingWhiteSpaceAndLeadingZerosAreNormalised() {
        HostPort a = HostPort.parse("  h:080\t");
        assertEquals(new HostPort("h", 80), a);
        assertEquals("h:80", a.toString());
        assertEquals(80, HostPort.parse("h:0000000000000000080").port());
    }

    @Test
    public void toStringRoundTrips() {
        for (String s : new String[] {"h:1", "10.0.0.7:9092", "[::1]:9092", "[fe80::1%eth0]:65535", "a.b_c-d:443"}) {
            HostPort a = HostPort.parse(s);
            assertEquals(s, a.toString());
            assertEquals(a, HostPort.parse(a.toString()));
        }
        for (String s : new String[] {":0", ":9092", "0.0.0.0:0", "[::]:0"}) {
            HostPort a = HostPort.parseListen(s);
            assertEquals(s, a.toString());
            assertEquals(a, HostPort.parseListen(a.toString()));
        }
        assertEquals("[::1]:5", new HostPort("::1", 5).toString());
    }

    @Test
    public void listenAddressesMayOmitTheHostAndUsePortZero() {
        assertEquals(new HostPort("", 9092), HostPort.parseListen(":9092"));
        assertEquals(new HostPort("127.0.0.1", 0), HostPort.parseListen("127.0.0.1:0"));
        assertEquals(new HostPort("::", 0), HostPort.parseListen("[::]:0"));
        assertMessage(() -> HostPort.parse(":9092"), "':9092' is not host:port: missing host before ':'");
        assertMessage(() -> HostPort.parse("h:0"), "'h:0' is not host:port: port must be 1-65535 (got 0)");
        assertMessage(() -> HostPort.parseListen("h:65536"), "'h:65536' is not host:port: port must be 0-65535 (got 65536)");
    }

    @Test
    public void aMissingPortTakesTheDefaultPortIfOneIsGiven() {
        assertEquals(new HostPort("broker1", 9093), HostPort.parse("broker1", 9093));
        assertEquals(new HostPort("::1", 9093), HostPort.parse("[::1]", 9093));
        assertEquals(new HostPort("broker1", 7), HostPort.parse("broker1:7", 9093));
        assertEquals(new HostPort("::1", 7), HostPort.parse(" [::1]:7 ", 9093));
        assertMessage(() -> HostPort.parse("::1", 9093), "'::1' is not host:port: write an IPv6 address in brackets, as [address]:port");
        assertThrows(IllegalArgumentException.class, () -> HostPort.parse("h", 0));
        assertThrows(IllegalArgumentException.class, () -> HostPort.parse("h", 65536));
    }

    @Test
    public void errorsNameTheInputAndTheExpectedForm() {
        assertMessage(() -> HostPort.parse(null), "no address given: expected host:port");
        assertMessage(() -> HostPort.parse(""), "'' is not host:port: the address is empty");
        assertMessage(() -> HostPort.parse(" "), "' ' is not host:port: the address is empty");
        assertMessage(() -> HostPort.parse("9092"), "'9092' is not host:port: missing ':port'");
        assertMessage(() -> HostPort.parse("localhost"), "'localhost' is not host:port: missing ':port'");
        assertMessage(() -> HostPort.parse("h:"), "'h:' is not host:port: missing port after ':'");
        assertMessage(() -> HostPort.parse("h:abc"), "'h:abc' is not host:port: non-numeric port 'abc'");
        assertMessage(() -> HostPort.parse("h:+80"), "'h:+80' is not host:port: non-numeric port '+80'");
        assertMessage(() -> HostPort.parse("h:-1"), "'h:-1' is not host:port: non-numeric port '-1'");
        assertMessage(() -> HostPort.parse("h: 80"), "'h: 80' is not host:port: non-numeric port ' 80'");
        assertMessage(() -> HostPort.parse("h:70000"), "'h:70000' is not host:port: port must be 1-65535 (got 70000)");
        assertMessage(() -> HostPort.parse("h:99999999999999999999"),
                "'h:99999999999999999999' is not host:port: port must be 1-65535 (got 99999999999999999999)");
        assertMessage(() -> HostPort.parse("::1:9092"),
                "'::1:9092' is not host:port: write an IPv6 address in brackets, as [address]:port");
        assertMessage(() -> HostPort.parse("[::1:9092"),
                "'[::1:9092' is not host:port: '[' without ']'; write an IPv6 address as [address]:port");
        assertMessage(() -> HostPort.parse("[::1]"), "'[::1]' is not host:port: missing ':port'");
        assertMessage(() -> HostPort.parse("[::1]9092"), "'[::1]9092' is not host:port: expected ':port' after ']'");
        assertMessage(() -> HostPort.parse("[::1]:"), "'[::1]:' is not host:port: missing port after ':'");
        assertMessage(() -> HostPort.parse("[h]:1"),
                "'[h]:1' is not host:port: 'h' in brackets is not an IPv6 address (brackets are for IPv6 only)");
        assertMessage(() -> HostPort.parse("[]:1"),
                "'[]:1' is not host:port: '' in brackets is not an IPv6 address (brackets are for IPv6 only)");
        assertMessage(() -> HostPort.parse("[::g]:1"),
                "'[::g]:1' is not host:port: character 'g' is not allowed in an IPv6 address");
        assertMessage(() -> HostPort.parse("[fe80::1%]:1"), "'[fe80::1%]:1' is not host:port: '' is not a valid IPv6 zone");
        assertMessage(() -> HostPort.parse("a b:1"), "'a b:1' is not host:port: character ' ' is not allowed in a host name "
                + "or IPv4 address (letters, digits, '-', '.', '_')");
        assertMessage(() -> HostPort.parse("h]:1"), "'h]:1' is not host:port: character ']' is not allowed in a host name "
                + "or IPv4 address (letters, digits, '-', '.', '_')");
        assertMessage(() -> HostPort.parse("*:1"), "'*:1' is not host:port: character '*' is not allowed in a host name "
                + "or IPv4 address (letters, digits, '-', '.', '_')");
        assertMessage(() -> HostPort.parse("1@h:1"), "'1@h:1' is not host:port: character '@' is not allowed in a host name "
                + "or IPv4 address (letters, digits, '-', '.', '_')");
    }

    @Test
    public void theConstructorChecksItsParts() {
        assertMessage(() -> new HostPort("h", -1), "port must be 0-65535 (got -1)");
        assertMessage(() -> new HostPort("h", 65536), "port must be 0-65535 (got 65536)");
        assertMessage(() -> new HostPort("[::1]", 1), "host '[::1]' is not valid: character '[' is not allowed in an IPv6 address");
        assertMessage(() -> new HostPort("a/b", 1), "host 'a/b' is not valid: character '/' is not allowed in a host name "
                + "or IPv4 address (letters, digits, '-', '.', '_')");
        assertThrows(NullPointerException.class, () -> new HostPort(null, 1));
        assertEquals("", new HostPort("", 0).host());
    }

    @Test
    public void socketAddressIsTheWildcardWithoutHost() {
        InetSocketAddress any = HostPort.parseListen(":0").socketAddress();
        assertTrue(any.getAddress().isAnyLocalAddress());
        InetSocketAddress loopback = HostPort.parse("127.0.0.1:9092").socketAddress();
        assertFalse(loopback.isUnresolved());
        assertEquals(9092, loopback.getPort());
        assertTrue(loopback.getAddress().isLoopbackAddress());
        assertTrue(HostPort.parse("[::1]:1").socketAddress().getAddress().isLoopbackAddress());
    }

    private static void assertMessage(org.junit.function.ThrowingRunnable call, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertEquals(message, e.getMessage());
    }
}
