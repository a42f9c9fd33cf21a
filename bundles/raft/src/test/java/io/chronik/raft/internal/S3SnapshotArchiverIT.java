package io.chronik.raft.internal;

import io.chronik.api.store.ObjectStore;
import io.chronik.storage.s3.internal.TestS3;

/**
 * {@link ObjectSnapshotArchiverTest}'s tests with storage-s3's store on a real S3 server (s3proxy, in process) behind
 * the real archive: uploads, re-use of sealed segment objects (counted puts), retention, fallback past corrupt objects,
 * a store failing mid-upload, metadata snapshots.
 */
public class S3SnapshotArchiverIT extends ObjectSnapshotArchiverTest {
    private TestS3 s3;

    @Override
    ObjectStore newStore() throws Exception {
        s3 = new TestS3();
        return s3.store("chronik", "cluster-1");
    }

    @Override
    public void tearDown() throws Exception {
        super.tearDown();
        if (s3 != null) {
            s3.close();
        }
    }
}
