package io.chronik.storage.s3.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Configuration of the S3 object store, PID {@code io.chronik.storage.s3} ({@code io.chronik.storage.s3.cfg} with
 * FileInstall). Without a configuration, or with an empty {@code bucket}, no store is registered. Parsed and checked
 * once into {@link S3Settings}.
 */
@ObjectClassDefinition(name = "Chronik S3 object store",
        description = "An object store on the S3 API: AWS S3 or an S3-compatible server (MinIO, s3proxy, Ceph RGW, ...).")
public @interface S3StoreConfig {

    @AttributeDefinition(name = "Bucket", description = "The bucket that holds the objects. Empty: the store stays inactive.")
    String bucket() default "";

    @AttributeDefinition(name = "Endpoint",
            description = "URL of an S3-compatible server, e.g. http://127.0.0.1:9000. Empty: AWS S3 of the region.")
    String endpoint() default "";

    @AttributeDefinition(name = "Region",
            description = "Signing region. Empty: the SDK's region chain (AWS_REGION, profile), else us-east-1.")
    String region() default "";

    @AttributeDefinition(name = "Key prefix",
            description = "Prepended to every key (a '/' is added if missing), so several clusters can share a bucket.")
    String key_prefix() default "";

    @AttributeDefinition(name = "Access key id",
            description = "Static credentials. Empty: the SDK's default chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
                    + "system properties, profiles, container and instance credentials).")
    String access_key_id() default "";

    @AttributeDefinition(name = "Secret access key", type = AttributeType.PASSWORD,
            description = "Secret of the access key id; required when the access key id is set.")
    String secret_access_key() default "";

    @AttributeDefinition(name = "Path-style access",
            description = "Address the bucket in the path (http://host/bucket/key) instead of the host name; "
                    + "true for most S3-compatible servers.")
    boolean path_style() default false;

    @AttributeDefinition(name = "Create bucket", description = "Create the bucket at start if it does not exist.")
    boolean create_bucket() default false;

    @AttributeDefinition(name = "Connect timeout (ms)", description = "Timeout of opening a connection.")
    int connect_timeout_ms() default 10_000;

    @AttributeDefinition(name = "Socket timeout (ms)", description = "Timeout of one read from or write to a connection.")
    int socket_timeout_ms() default 30_000;

    @AttributeDefinition(name = "Request timeout (ms)",
            description = "Timeout of one attempt of one request (a streamed GET: until its headers arrive). 0: none.")
    int request_timeout_ms() default 60_000;

    @AttributeDefinition(name = "Maximum attempts",
            description = "Attempts per request, with backoff, on 5xx, throttling and I/O errors (1: no retry).")
    int max_attempts() default 3;

    @AttributeDefinition(name = "Part size (bytes)",
            description = "A put of up to this many bytes is one PutObject; a larger one a multipart upload of parts "
                    + "of this size (at least 5 MiB, S3's minimum). Each put buffers one part in memory.")
    int part_size_bytes() default 8 * 1024 * 1024;

    @AttributeDefinition(name = "Store name",
            description = "Published as the store.name service property; consumers select a store with (store.name=...)")
    String store_name() default "s3";
}
