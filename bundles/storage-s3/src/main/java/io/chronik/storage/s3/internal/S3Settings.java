package io.chronik.storage.s3.internal;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Locale;

import io.chronik.api.store.ObjectStore;

/**
 * The S3 store's configuration, parsed and checked once ({@link #from}). An empty {@link #bucket} means "not
 * configured": the component registers nothing.
 *
 * @param bucket          the bucket; empty when not configured
 * @param endpoint        an S3-compatible server's URL, or {@code null} for AWS
 * @param region          the signing region, or {@code null} for the SDK's region chain
 * @param keyPrefix       prepended to every key: empty or ending with {@code /}
 * @param accessKeyId     static credentials, or {@code null} for the SDK's default credentials chain
 * @param secretAccessKey the secret of {@code accessKeyId}, {@code null} with it
 * @param pathStyle       bucket in the path instead of the host name
 * @param createBucket    create the bucket at start if missing
 * @param connectTimeout  timeout of opening a connection
 * @param socketTimeout   timeout of one socket read or write
 * @param requestTimeout  timeout of one attempt of a request, {@link Duration#ZERO} for none
 * @param maxAttempts     attempts per request (1 = no retry)
 * @param partSize        single PutObject up to this size, else multipart parts of this size
 * @param storeName       the {@code store.name} service property
 */
public record S3Settings(String bucket, URI endpoint, String region, String keyPrefix, String accessKeyId,
        String secretAccessKey, boolean pathStyle, boolean createBucket, Duration connectTimeout,
        Duration socketTimeout, Duration requestTimeout, int maxAttempts, int partSize, String storeName) {

    /** S3's minimum size of a multipart part other than the last. */
    public static final int MIN_PART_SIZE = 5 * 1024 * 1024;

    static final String PID = "io.chronik.storage.s3";

    /**
     * Parses and checks {@code config}.
     *
     * @throws IllegalArgumentException naming the setting and the problem, if a value is invalid
     */
    public static S3Settings from(S3StoreConfig config) {
        String bucket = trim(config.bucket());
        if (!bucket.isEmpty() && !bucket.matches("[a-z0-9][a-z0-9.\\-_]{1,254}")) {
            throw invalid("bucket", bucket, "a bucket name is 3 to 63 lowercase letters, digits, '.' and '-'");
        }
        URI endpoint = endpoint(trim(config.endpoint()));
        String region = trim(config.region());
        String accessKeyId = trim(config.access_key_id());
        String secret = config.secret_access_key() == null ? "" : config.secret_access_key().trim();
        if (accessKeyId.isEmpty() != secret.isEmpty()) {
            throw new IllegalArgumentException(PID + ": access.key.id and secret.access.key must be set together "
                    + "(or both left empty for the SDK's default credentials chain)");
        }
        int partSize = config.part_size_bytes();
        if (partSize < MIN_PART_SIZE) {
            throw invalid("part.size.bytes", partSize, "at least " + MIN_PART_SIZE + " (S3's minimum part size)");
        }
        if (config.max_attempts() < 1) {
            throw invalid("max.attempts", config.max_attempts(), "at least 1");
        }
        String storeName = trim(config.store_name());
        return new S3Settings(bucket, endpoint, region.isEmpty() ? null : region, keyPrefix(config.key_prefix()),
                accessKeyId.isEmpty() ? null : accessKeyId, secret.isEmpty() ? null : secret, config.path_style(),
                config.create_bucket(), millis("connect.timeout.ms", config.connect_timeout_ms(), false),
                millis("socket.timeout.ms", config.socket_timeout_ms(), false),
                millis("request.timeout.ms", config.request_timeout_ms(), true), config.max_attempts(), partSize,
                storeName.isEmpty() ? "s3" : storeName);
    }

    /** {@code true} if a bucket is configured. */
    public boolean configured() {
        return !bucket.isEmpty();
    }

    /** Where the objects are, for log lines and errors: {@code s3://bucket/prefix at endpoint}. */
    public String location() {
        return "s3://" + bucket + "/" + keyPrefix + (endpoint == null ? "" : " at " + endpoint);
    }

    @Override
    public String toString() { // never the secret
        return "S3Settings[" + location() + ", region=" + region + ", pathStyle=" + pathStyle + ", credentials="
                + (accessKeyId == null ? "default chain" : "access key " + accessKeyId) + ", storeName=" + storeName + "]";
    }

    private static URI endpoint(String value) {
        if (value.isEmpty()) {
            return null;
        }
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            throw invalid("endpoint", value, e.getMessage());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
            throw invalid("endpoint", value, "an http:// or https:// URL with a host");
        }
        return uri;
    }

    private static String keyPrefix(String value) {
        String prefix = trim(value);
        while (prefix.startsWith("/")) {
            prefix = prefix.substring(1);
        }
        while (prefix.endsWith("/")) {
            prefix = prefix.substring(0, prefix.length() - 1);
        }
        if (prefix.isEmpty()) {
            return "";
        }
        if (!ObjectStore.isValidKey(prefix)) {
            throw invalid("key.prefix", value, "segments separated by '/', no empty, '.' or '..' segment, no backslash");
        }
        return prefix + "/";
    }

    private static Duration millis(String name, int value, boolean zeroAllowed) {
        if (value < 0 || value == 0 && !zeroAllowed) {
            throw invalid(name, value, zeroAllowed ? "0 (none) or more" : "more than 0");
        }
        return Duration.ofMillis(value);
    }

    private static String trim(String value) {
        return value == null ? "" : value.trim();
    }

    private static IllegalArgumentException invalid(String name, Object value, String expected) {
        return new IllegalArgumentException(PID + ": invalid " + name + " '" + value + "': expected " + expected);
    }
}
