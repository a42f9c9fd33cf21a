package io.chronik.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import io.chronik.api.net.HostPort;
import io.chronik.api.store.ObjectStore;

/**
 * Resolves and validates the public settings: {@code --flag} over {@code CHRONIK_*} environment variable over
 * {@code conf/chronik.properties} over the built-in default. Every problem is a {@link UsageException} with a
 * one-line message naming the flag.
 */
final class NodeSettings {
    private static final Set<String> LOG_LEVELS = Set.of("trace", "debug", "info", "warn", "error");

    private final Map<Setting, String> values;
    private final Path home;

    private NodeSettings(Map<Setting, String> values, Path home) {
        this.values = values;
        this.home = home;
    }

    /**
     * @param args the arguments after the command ({@code --flag value} or {@code --flag=value})
     * @param env  the process environment
     * @param home the distribution's directory (holds conf/)
     */
    static NodeSettings resolve(List<String> args, Map<String, String> env, Path home) throws UsageException {
        Map<Setting, String> values = new EnumMap<>(Setting.class);
        Properties file = readConf(home.resolve("conf").resolve("chronik.properties"));
        for (Setting s : Setting.values()) {
            String v = s.defaultValue();
            if (file.getProperty(s.key()) != null) {
                v = file.getProperty(s.key()).trim();
            }
            if (env.get(s.env()) != null) {
                v = env.get(s.env()).trim();
            }
            values.put(s, v);
        }
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (!arg.startsWith("--")) {
                throw new UsageException("unexpected argument '" + arg + "' (see --help)");
            }
            String name = arg.substring(2);
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            Setting s = Setting.byFlag(name);
            if (s == null) {
                throw new UsageException("unknown flag --" + name + " (see --help)");
            }
            if (value == null) {
                if (i + 1 >= args.size()) {
                    throw new UsageException("flag --" + name + " needs a value");
                }
                value = args.get(++i);
            }
            values.put(s, value.trim());
        }
        NodeSettings settings = new NodeSettings(values, home);
        settings.validate();
        return settings;
    }

    private static Properties readConf(Path file) throws UsageException {
        Properties p = new Properties();
        if (Files.isRegularFile(file)) {
            try (InputStream in = Files.newInputStream(file)) {
                p.load(in);
            } catch (IOException e) {
                throw new UsageException("cannot read " + file + ": " + e.getMessage());
            }
        }
        return p;
    }

    /** Checks that a setting is an integer (fitting an int) of at least {@code min}. */
    private void atLeast(Setting setting, long min, String what) throws UsageException {
        String v = values.get(setting).trim();
        try {
            long n = Long.parseLong(v);
            if (n < min || n > Integer.MAX_VALUE) {
                throw new NumberFormatException();
            }
        } catch (NumberFormatException e) {
            throw new UsageException("--" + setting.flag() + " '" + v + "' is not " + what);
        }
        values.put(setting, v);
    }

    private void validate() throws UsageException {
        nodeId();
        HostPort kafka = address(Setting.KAFKA_ADDR);
        address(Setting.RAFT_ADDR);
        address(Setting.METRICS_ADDR);
        String advertised = values.get(Setting.ADVERTISED_ADDR);
        if (advertised == null || advertised.isEmpty()) {
            values.put(Setting.ADVERTISED_ADDR, "localhost:" + kafka.port());
        } else {
            try {
                values.put(Setting.ADVERTISED_ADDR, HostPort.parse(advertised, kafka.port()).toString());
            } catch (IllegalArgumentException e) {
                throw new UsageException("--" + Setting.ADVERTISED_ADDR.flag() + " " + e.getMessage());
            }
        }
        peers();
        transport();
        String dataDir = values.get(Setting.DATA_DIR);
        if (dataDir == null) {
            values.put(Setting.DATA_DIR, home.resolve("data").toString());
        } else if (dataDir.isEmpty()) {
            throw new UsageException("--data-dir must not be empty");
        }
        String store = values.get(Setting.OBJECT_STORE);
        if (!Setting.OBJECT_STORES.contains(store)) {
            throw new UsageException("--object-store '" + store + "' is not available (available: "
                    + String.join(", ", Setting.OBJECT_STORES) + ")");
        }
        s3();
        String flush = values.get(Setting.FLUSH_POLICY);
        if (!Setting.FLUSH_POLICIES.contains(flush)) {
            throw new UsageException("--flush-policy '" + flush + "' is not one of " + String.join(", ", Setting.FLUSH_POLICIES));
        }
        String rebalance = values.get(Setting.AUTO_LEADER_REBALANCE_ENABLE).toLowerCase();
        if (!rebalance.equals("true") && !rebalance.equals("false")) {
            throw new UsageException("--auto-leader-rebalance-enable '" + rebalance + "' is not true or false");
        }
        values.put(Setting.AUTO_LEADER_REBALANCE_ENABLE, rebalance);
        String interval = values.get(Setting.LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS);
        try {
            if (Long.parseLong(interval) < 1) {
                throw new NumberFormatException();
            }
        } catch (NumberFormatException e) {
            throw new UsageException("--leader-imbalance-check-interval-seconds '" + interval + "' is not a positive integer");
        }
        String followers = values.get(Setting.FETCH_FROM_FOLLOWERS).toLowerCase();
        if (!followers.equals("true") && !followers.equals("false")) {
            throw new UsageException("--fetch-from-followers '" + followers + "' is not true or false");
        }
        values.put(Setting.FETCH_FROM_FOLLOWERS, followers);
        String followerWait = values.get(Setting.FETCH_FOLLOWER_MAX_WAIT_MS);
        try {
            if (Long.parseLong(followerWait) < 1 || Long.parseLong(followerWait) > Integer.MAX_VALUE) {
                throw new NumberFormatException();
            }
        } catch (NumberFormatException e) {
            throw new UsageException("--fetch-follower-max-wait-ms '" + followerWait + "' is not a positive number of milliseconds");
        }
        String session = values.get(Setting.SESSION_TIMEOUT_MS);
        try {
            if (Long.parseLong(session) < 100) {
                throw new NumberFormatException();
            }
        } catch (NumberFormatException e) {
            throw new UsageException("--session-timeout-ms '" + session + "' is not a number of milliseconds >= 100");
        }
        String snapshots = values.get(Setting.SNAPSHOT_ENABLED).toLowerCase();
        if (!snapshots.equals("true") && !snapshots.equals("false")) {
            throw new UsageException("--snapshot-enabled '" + snapshots + "' is not true or false");
        }
        values.put(Setting.SNAPSHOT_ENABLED, snapshots);
        atLeast(Setting.SNAPSHOT_LOG_THRESHOLD, 1, "a positive number of entries");
        atLeast(Setting.SNAPSHOT_TIME_THRESHOLD_SECS, 0, "a number of seconds >= 0");
        atLeast(Setting.SNAPSHOT_MAX_CONCURRENT, 1, "a positive integer");
        atLeast(Setting.SNAPSHOT_RETENTION_COUNT, 1, "a positive integer");
        String codec = values.get(Setting.SNAPSHOT_COMPRESSION).toLowerCase();
        if (!Setting.SNAPSHOT_CODECS.contains(codec)) {
            throw new UsageException("--snapshot-compression '" + codec + "' is not one of "
                    + String.join(", ", Setting.SNAPSHOT_CODECS));
        }
        values.put(Setting.SNAPSHOT_COMPRESSION, codec);
        String level = values.get(Setting.LOG_LEVEL).toLowerCase();
        if (!LOG_LEVELS.contains(level)) {
            throw new UsageException("--log-level '" + level + "' is not one of trace, debug, info, warn, error");
        }
        values.put(Setting.LOG_LEVEL, level);
    }

    /**
     * The S3 settings, checked by the rules of the S3 store's configuration ({@code io.chronik.storage.s3}), so that a
     * bad value is a usage error naming the flag rather than a component failing later. A bucket is required when
     * {@code --object-store s3}; with {@code local} the S3 settings are optional (a bucket given anyway starts the S3
     * store beside the local one, unused by the archive).
     */
    private void s3() throws UsageException {
        String bucket = values.get(Setting.S3_BUCKET);
        if (bucket.isEmpty()) {
            if (values.get(Setting.OBJECT_STORE).equals("s3")) {
                throw new UsageException("--object-store s3 needs --s3-bucket (or " + Setting.S3_BUCKET.env() + ")");
            }
        } else if (!bucket.matches("[a-z0-9][a-z0-9.\\-_]{1,254}")) {
            throw new UsageException("--s3-bucket '" + bucket + "' is not a bucket name "
                    + "(3 to 63 lowercase letters, digits, '.' and '-')");
        }
        String endpoint = values.get(Setting.S3_ENDPOINT);
        if (!endpoint.isEmpty()) {
            java.net.URI uri;
            try {
                uri = new java.net.URI(endpoint);
            } catch (java.net.URISyntaxException e) {
                throw new UsageException("--s3-endpoint '" + endpoint + "' is not a URL: " + e.getMessage());
            }
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
                throw new UsageException("--s3-endpoint '" + endpoint + "' is not an http:// or https:// URL with a host");
            }
        }
        String region = values.get(Setting.S3_REGION);
        if (!region.matches("[A-Za-z0-9-]*")) {
            throw new UsageException("--s3-region '" + region + "' is not a region name (letters, digits and '-')");
        }
        String pathStyle = values.get(Setting.S3_PATH_STYLE).toLowerCase(java.util.Locale.ROOT);
        if (!pathStyle.equals("true") && !pathStyle.equals("false")) {
            throw new UsageException("--s3-path-style '" + pathStyle + "' is not true or false");
        }
        values.put(Setting.S3_PATH_STYLE, pathStyle);
        String prefix = values.get(Setting.S3_KEY_PREFIX).replaceAll("^/+|/+$", "");
        if (!prefix.isEmpty() && !ObjectStore.isValidKey(prefix)) {
            throw new UsageException("--s3-key-prefix '" + values.get(Setting.S3_KEY_PREFIX) + "' is not a key prefix ("
                    + ObjectStore.keyProblem(prefix) + ")");
        }
        values.put(Setting.S3_KEY_PREFIX, prefix);
    }

    /**
     * {@code --transport}: one of {@link Setting#TRANSPORTS}. The memory transport carries Raft traffic only inside one
     * JVM, so a node on it cannot reach members in other processes: {@code --peers} naming another node is refused.
     */
    private void transport() throws UsageException {
        String transport = values.get(Setting.TRANSPORT).toLowerCase(java.util.Locale.ROOT);
        if (!Setting.TRANSPORTS.contains(transport)) {
            throw new UsageException("--transport '" + values.get(Setting.TRANSPORT) + "' is not one of "
                    + String.join(", ", Setting.TRANSPORTS));
        }
        values.put(Setting.TRANSPORT, transport);
        if (transport.equals("memory")) {
            int self = nodeId();
            List<Integer> others = peers().keySet().stream().filter(id -> id != self).toList();
            if (!others.isEmpty()) {
                throw new UsageException("--transport memory carries Raft traffic only inside this process, so it cannot "
                        + "reach the other --peers " + others + ": use --transport grpc for a cluster of processes");
            }
            HostPort listed = peers().get(self);
            HostPort raft = address(Setting.RAFT_ADDR);
            if (listed != null && !listed.toString().equals(raft.toString())) {
                throw new UsageException("--transport memory needs this node's --peers address " + listed
                        + " to be its --raft-addr " + raft + " (the memory transport binds exactly the address peers use)");
            }
        }
    }

    /** Whether Raft traffic goes over a network socket ({@code --raft-addr} is bound), i.e. not the memory transport. */
    boolean raftSocket() {
        return !"memory".equals(values.get(Setting.TRANSPORT));
    }

    int nodeId() throws UsageException {
        String v = values.get(Setting.NODE_ID);
        try {
            int id = Integer.parseInt(v);
            if (id < 0) {
                throw new NumberFormatException();
            }
            return id;
        } catch (NumberFormatException e) {
            throw new UsageException("--node-id '" + v + "' is not a non-negative integer");
        }
    }

    /** The address flag {@code s}, by {@link HostPort#parse(String)} rules: host required, port 1-65535. */
    HostPort address(Setting s) throws UsageException {
        return address(values.get(s), "--" + s.flag());
    }

    private static HostPort address(String value, String what) throws UsageException {
        try {
            return HostPort.parse(value);
        } catch (IllegalArgumentException e) {
            throw new UsageException(what + " " + e.getMessage());
        }
    }

    /** The peers as node id to Raft address; empty for a single node. */
    Map<Integer, HostPort> peers() throws UsageException {
        String v = values.get(Setting.PEERS);
        Map<Integer, HostPort> peers = new java.util.TreeMap<>();
        if (v.isEmpty()) {
            return peers;
        }
        Set<String> addresses = new HashSet<>();
        for (String part : v.split(",")) {
            String p = part.trim();
            int at = p.indexOf('@');
            if (at <= 0) {
                throw new UsageException("--peers entry '" + p + "' is not id@host:port");
            }
            int id;
            try {
                id = Integer.parseInt(p.substring(0, at));
            } catch (NumberFormatException e) {
                throw new UsageException("--peers entry '" + p + "' has a non-numeric node id");
            }
            HostPort address = address(p.substring(at + 1), "--peers entry '" + p + "':");
            if (peers.put(id, address) != null) {
                throw new UsageException("--peers names node " + id + " twice");
            }
            if (!addresses.add(address.toString())) {
                throw new UsageException("--peers gives address " + address + " to two nodes");
            }
        }
        if (!peers.containsKey(nodeId())) {
            throw new UsageException("--peers does not include this node (--node-id " + nodeId() + ")");
        }
        return peers;
    }

    String get(Setting s) {
        return values.get(s);
    }

    /** The data directory, absolute; a relative {@code --data-dir} is taken from the current directory. */
    Path dataDir() {
        return Path.of(values.get(Setting.DATA_DIR)).toAbsolutePath().normalize();
    }

    Path home() {
        return home;
    }

    /** The settings as framework properties ({@code chronik.node.id=1}, ...), data dir made absolute. */
    Map<String, String> frameworkProperties() {
        Map<String, String> props = new java.util.LinkedHashMap<>();
        for (Setting s : Setting.values()) {
            props.put(s.property(), values.get(s));
        }
        props.put(Setting.DATA_DIR.property(), dataDir().toString());
        props.put("chronik.home", home.toString());
        return props;
    }
}
