package io.chronik.storage.s3.internal;

import java.lang.reflect.Proxy;
import java.net.URI;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;

/**
 * A real S3 server for the tests: s3proxy on jclouds' in-memory ("transient") blob store, on a free loopback port,
 * checking AWS signatures (V2 or V4) against {@link #ACCESS_KEY}/{@link #SECRET_KEY}. Path-style addressing.
 */
final class S3Proxies implements AutoCloseable {
    static final String ACCESS_KEY = "chronik-test-access";
    static final String SECRET_KEY = "chronik-test-secret";

    private final BlobStoreContext context;
    private final S3Proxy proxy;

    private S3Proxies(BlobStoreContext context, S3Proxy proxy) {
        this.context = context;
        this.proxy = proxy;
    }

    /** Starts a server and waits until it accepts requests. */
    static S3Proxies start() throws Exception {
        Properties overrides = new Properties();
        BlobStoreContext context = ContextBuilder.newBuilder("transient").credentials("unused", "unused")
                .overrides(overrides).build(BlobStoreContext.class);
        S3Proxy proxy = S3Proxy.builder()
                .blobStore(context.getBlobStore())
                .endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                .build();
        proxy.start();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!"STARTED".equals(proxy.getState())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("s3proxy did not start: " + proxy.getState());
            }
            Thread.sleep(10);
        }
        return new S3Proxies(context, proxy);
    }

    /** The server's URL, {@code http://127.0.0.1:<port>}. */
    URI endpoint() {
        return URI.create("http://127.0.0.1:" + proxy.getPort());
    }

    /** Configuration properties (by {@link S3StoreConfig} method name) for a store on this server. */
    Map<String, Object> properties(String bucket) {
        Map<String, Object> properties = new HashMap<>();
        properties.put("bucket", bucket);
        properties.put("endpoint", endpoint().toString());
        properties.put("region", "us-east-1");
        properties.put("access_key_id", ACCESS_KEY);
        properties.put("secret_access_key", SECRET_KEY);
        properties.put("path_style", true);
        properties.put("create_bucket", true);
        properties.put("part_size_bytes", S3Settings.MIN_PART_SIZE);
        properties.put("max_attempts", 2);
        return properties;
    }

    /** An {@link S3StoreConfig} with {@code values} (by method name) and the annotation's defaults for the rest. */
    static S3StoreConfig config(Map<String, Object> values) {
        return (S3StoreConfig) Proxy.newProxyInstance(S3StoreConfig.class.getClassLoader(),
                new Class<?>[] {S3StoreConfig.class}, (proxy, method, args) -> {
                    if (values.containsKey(method.getName())) {
                        return values.get(method.getName());
                    }
                    if (method.getDefaultValue() != null) {
                        return method.getDefaultValue();
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    @Override
    public void close() throws Exception {
        proxy.stop();
        context.close();
    }
}
