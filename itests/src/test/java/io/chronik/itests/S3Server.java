package io.chronik.itests;

import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;
import org.jclouds.blobstore.domain.PageSet;
import org.jclouds.blobstore.domain.StorageMetadata;
import org.jclouds.blobstore.domain.StorageType;
import org.jclouds.blobstore.options.ListContainerOptions;
import org.junit.rules.ExternalResource;

/**
 * A real S3 server for process tests: s3proxy on jclouds' in-memory blob store, on a free loopback port, checking AWS
 * signatures against one access key. Use it as a JUnit rule ({@code @ClassRule} to share one between a class's
 * tests); it starts before and stops after. Nodes reach it the standard way: {@link #env()} holds the AWS SDK's
 * credentials (and keeps the machine's profiles and instance metadata out), {@link #nodeArgs} the {@code --s3-*} flags.
 */
final class S3Server extends ExternalResource {
    static final String ACCESS_KEY = "chronik-it-access";
    static final String SECRET_KEY = "chronik-it-secret";

    private final String bucket;
    private BlobStoreContext blobs;
    private S3Proxy proxy;

    /** @param bucket a bucket created when the server starts */
    S3Server(String bucket) {
        this.bucket = bucket;
    }

    @Override
    protected void before() throws Throwable {
        blobs = ContextBuilder.newBuilder("transient").credentials("unused", "unused").build(BlobStoreContext.class);
        blobs.getBlobStore().createContainerInLocation(null, bucket);
        proxy = S3Proxy.builder().blobStore(blobs.getBlobStore()).endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY).build();
        proxy.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!"STARTED".equals(proxy.getState())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("s3proxy did not start: " + proxy.getState());
            }
            Thread.sleep(10);
        }
    }

    @Override
    protected void after() {
        try {
            if (proxy != null) {
                proxy.stop();
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            if (blobs != null) {
                blobs.close();
            }
        }
    }

    String bucket() {
        return bucket;
    }

    String endpoint() {
        return "http://127.0.0.1:" + proxy.getPort();
    }

    BlobStore blobStore() {
        return blobs.getBlobStore();
    }

    /** The AWS SDK's environment with these credentials (null: none), and nothing from the machine. */
    static Map<String, String> aws(String accessKey, String secretKey) {
        Map<String, String> env = new HashMap<>(Map.of(
                "AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials",
                "AWS_CONFIG_FILE", "/nonexistent/config",
                "AWS_EC2_METADATA_DISABLED", "true"));
        if (accessKey != null) {
            env.put("AWS_ACCESS_KEY_ID", accessKey);
            env.put("AWS_SECRET_ACCESS_KEY", secretKey);
        }
        return env;
    }

    /** The environment of a node using this server with the right credentials. */
    Map<String, String> env() {
        return aws(ACCESS_KEY, SECRET_KEY);
    }

    /** The {@code --s3-*} flags for this server, its bucket and {@code keyPrefix}. */
    List<String> nodeArgs(String keyPrefix) {
        return List.of("--s3-bucket", bucket, "--s3-endpoint", endpoint(), "--s3-path-style", "true",
                "--s3-region", "us-east-1", "--s3-key-prefix", keyPrefix);
    }

    /** Every key in the bucket that starts with {@code prefix}, in order. */
    List<String> keys(String prefix) {
        List<String> keys = new ArrayList<>();
        ListContainerOptions options = ListContainerOptions.Builder.recursive();
        while (true) {
            PageSet<? extends StorageMetadata> page = blobStore().list(bucket, options);
            for (StorageMetadata m : page) {
                if (m.getType() == StorageType.BLOB && m.getName().startsWith(prefix)) {
                    keys.add(m.getName());
                }
            }
            if (page.getNextMarker() == null) {
                break;
            }
            options = ListContainerOptions.Builder.recursive().afterMarker(page.getNextMarker());
        }
        keys.sort(null);
        return keys;
    }
}
