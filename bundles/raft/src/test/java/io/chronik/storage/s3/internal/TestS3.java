package io.chronik.storage.s3.internal;

import java.lang.reflect.Proxy;
import java.net.URI;
import java.util.HashMap;
import java.util.Map;

import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;

import io.chronik.api.store.ObjectStore;

/**
 * A real S3 server (s3proxy on jclouds' in-memory blob store, on a free loopback port, checking signatures) and
 * storage-s3's store on it, for the raft bundle's tests (as storage-s3's own tests start one).
 */
public final class TestS3 implements AutoCloseable {
    private static final String ACCESS_KEY = "chronik-test-access";
    private static final String SECRET_KEY = "chronik-test-secret";

    private final BlobStoreContext context;
    private final S3Proxy proxy;
    private S3ObjectStore store;

    public TestS3() throws Exception {
        context = ContextBuilder.newBuilder("transient").credentials("unused", "unused").build(BlobStoreContext.class);
        proxy = S3Proxy.builder().blobStore(context.getBlobStore()).endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY).build();
        proxy.start();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!"STARTED".equals(proxy.getState())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("s3proxy did not start: " + proxy.getState());
            }
            Thread.sleep(10);
        }
    }

    /** storage-s3's store on this server, bucket {@code bucket} (created), key prefix {@code prefix}. */
    public ObjectStore store(String bucket, String prefix) throws Exception {
        Map<String, Object> values = new HashMap<>();
        values.put("bucket", bucket);
        values.put("endpoint", "http://127.0.0.1:" + proxy.getPort());
        values.put("region", "us-east-1");
        values.put("access_key_id", ACCESS_KEY);
        values.put("secret_access_key", SECRET_KEY);
        values.put("path_style", true);
        values.put("create_bucket", true);
        values.put("key_prefix", prefix);
        values.put("max_attempts", 2);
        S3StoreConfig config = (S3StoreConfig) Proxy.newProxyInstance(S3StoreConfig.class.getClassLoader(),
                new Class<?>[] {S3StoreConfig.class}, (p, method, args) -> {
                    if (values.containsKey(method.getName())) {
                        return values.get(method.getName());
                    }
                    if (method.getDefaultValue() != null) {
                        return method.getDefaultValue();
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
        store = new S3ObjectStore(S3Settings.from(config));
        store.checkBucket();
        return store;
    }

    @Override
    public void close() throws Exception {
        if (store != null) {
            store.close();
        }
        proxy.stop();
        context.close();
    }
}
