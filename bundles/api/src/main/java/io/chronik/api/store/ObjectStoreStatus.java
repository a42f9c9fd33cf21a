package io.chronik.api.store;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Whether a configured object store is available, published by its provider beside (not instead of) the
 * {@link ObjectStore} service. A provider whose store can be configured but unreachable (a remote store: a missing
 * bucket, wrong credentials, a server that is down) registers one of these for each configured store, with the
 * store's {@value ObjectStore#STORE_NAME}, as soon as it is configured and for as long as it is; its
 * {@link ObjectStore} service exists only while the store is available. A provider whose store is available as soon
 * as it is configured (a local directory) need not register one.
 *
 * <p>The registration's service properties mirror {@link #state()} and {@link #problem()} ({@value #STATE},
 * {@value #PROBLEM}; the provider updates them with each change), so that a reader outside the provider's class
 * space, such as the launcher or {@code chronik status}, needs only the properties.
 */
@ProviderType
public interface ObjectStoreStatus {

    /** Service property: the {@link #state()}. */
    String STATE = "store.state";

    /** Service property: the {@link #problem()}; absent while there is none. */
    String PROBLEM = "store.problem";

    /** State: the provider is still reaching the store for the first time. */
    String CHECKING = "checking";

    /** State: the store is reachable and its {@link ObjectStore} service is registered. */
    String AVAILABLE = "available";

    /** State: the store could not be reached; {@link #problem()} says why. Providers may keep retrying. */
    String UNAVAILABLE = "unavailable";

    /** {@link #CHECKING}, {@link #AVAILABLE} or {@link #UNAVAILABLE}. */
    String state();

    /** One line saying why the store is unavailable, naming the store; {@code null} unless {@link #UNAVAILABLE}. */
    String problem();
}
