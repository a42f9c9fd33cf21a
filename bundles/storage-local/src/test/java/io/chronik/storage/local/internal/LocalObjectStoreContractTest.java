package io.chronik.storage.local.internal;

import org.junit.Rule;
import org.junit.rules.TemporaryFolder;

import io.chronik.api.store.ObjectStore;
import io.chronik.testing.ObjectStoreContract;

/** The {@link ObjectStore} contract on a local directory: a new root directory for each test. */
public class LocalObjectStoreContractTest extends ObjectStoreContract {

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    @Override
    protected ObjectStore newStore() throws Exception {
        return new LocalObjectStore(folder.newFolder("store").toPath(), "contract");
    }
}
