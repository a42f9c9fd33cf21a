package io.chronik.storage.s3.internal;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.AfterClass;
import org.junit.BeforeClass;

import io.chronik.api.store.ObjectStore;
import io.chronik.testing.ObjectStoreContract;

/**
 * The {@link ObjectStore} contract against a real S3 server (s3proxy, in this JVM): each test gets a store on its own
 * key prefix of one bucket, with S3's minimum part size (5 MiB) so that the large object is a three-part upload.
 */
public class S3ObjectStoreContractIT extends ObjectStoreContract {
    private static final AtomicInteger TESTS = new AtomicInteger();
    private static S3Proxies server;

    @BeforeClass
    public static void startServer() throws Exception {
        server = S3Proxies.start();
    }

    @AfterClass
    public static void stopServer() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @Override
    protected ObjectStore newStore() throws Exception {
        Map<String, Object> properties = server.properties("contract");
        properties.put("key_prefix", "test-" + TESTS.incrementAndGet());
        S3ObjectStore store = new S3ObjectStore(S3Settings.from(S3Proxies.config(properties)));
        store.checkBucket();
        return store;
    }

    @Override
    protected void closeStore(ObjectStore store) {
        ((S3ObjectStore) store).close();
    }
}
