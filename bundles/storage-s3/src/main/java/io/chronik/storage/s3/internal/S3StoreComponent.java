package io.chronik.storage.s3.internal;

import java.io.IOException;
import java.time.Duration;
import java.util.Dictionary;
import java.util.Hashtable;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.store.ObjectStore;

/**
 * The DS shell of {@link S3ObjectStore}: configured by the PID {@code io.chronik.storage.s3}, it registers the
 * {@link ObjectStore} service (with {@code store.name}, default {@code s3}) only once the configuration names a bucket
 * and the bucket has been reached. No configuration, or an empty bucket: no service. A bucket that is missing or
 * denied, or a server that is down, is logged in one line naming the cause and retried in the background with backoff
 * (up to a minute apart) while nothing is registered, so consumers keep the store they have; the service appears
 * when the check passes.
 *
 * <p>The check runs on its own thread, not on SCR's. A configuration change deactivates and reactivates the component
 * (a new client, a new check); deactivation unregisters the service first and then closes the client.
 */
@Component(name = S3Settings.PID, configurationPid = S3Settings.PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = {}, immediate = true)
@Designate(ocd = S3StoreConfig.class)
public class S3StoreComponent {
    private static final Logger LOG = LoggerFactory.getLogger(S3StoreComponent.class);
    private static final Duration FIRST_RETRY = Duration.ofSeconds(1);
    private static final Duration MAX_RETRY = Duration.ofMinutes(1);

    private final BundleContext context;
    private final S3ObjectStore store;
    private final Thread starter;
    private final Object lock = new Object();
    private ServiceRegistration<ObjectStore> registration; // guarded by lock
    private boolean stopped; // guarded by lock

    @Activate
    public S3StoreComponent(BundleContext context, S3StoreConfig config) {
        this.context = context;
        S3Settings settings = S3Settings.from(config);
        if (!settings.configured()) {
            LOG.info("{} has no bucket: the S3 object store is not started", S3Settings.PID);
            this.store = null;
            this.starter = null;
            return;
        }
        this.store = new S3ObjectStore(settings);
        this.starter = new Thread(this::checkAndRegister, "chronik-s3-store-" + settings.storeName());
        starter.setDaemon(true);
        starter.start();
    }

    private void checkAndRegister() {
        Duration wait = FIRST_RETRY;
        String lastProblem = null;
        while (true) {
            try {
                store.checkBucket();
                register();
                return;
            } catch (IOException | RuntimeException e) {
                if (isStopped()) {
                    return; // deactivated while checking: the failure is the interrupt
                }
                String problem = String.valueOf(e.getMessage());
                if (!problem.equals(lastProblem)) {
                    LOG.error("{} is not available, retrying in the background: {}", store.describe(), problem);
                    lastProblem = problem;
                } else {
                    LOG.debug("{} is still not available: {}", store.describe(), problem);
                }
            }
            try {
                Thread.sleep(wait.toMillis());
            } catch (InterruptedException e) {
                return; // deactivated
            }
            wait = wait.multipliedBy(2).compareTo(MAX_RETRY) > 0 ? MAX_RETRY : wait.multipliedBy(2);
        }
    }

    private boolean isStopped() {
        synchronized (lock) {
            return stopped;
        }
    }

    private void register() {
        S3Settings settings = store.settings();
        Dictionary<String, Object> properties = new Hashtable<>();
        properties.put(ObjectStore.STORE_NAME, settings.storeName());
        properties.put("bucket", settings.bucket());
        properties.put("key.prefix", settings.keyPrefix());
        if (settings.endpoint() != null) {
            properties.put("endpoint", settings.endpoint().toString());
        }
        synchronized (lock) {
            if (stopped) {
                return;
            }
            registration = context.registerService(ObjectStore.class, store, properties);
        }
        LOG.info("{} is available", store.describe());
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        if (store == null) {
            return;
        }
        ServiceRegistration<ObjectStore> registered;
        synchronized (lock) {
            stopped = true;
            registered = registration;
            registration = null;
        }
        starter.interrupt();
        if (registered != null) {
            try {
                registered.unregister();
            } catch (IllegalStateException e) {
                // already unregistered with the bundle
            }
        }
        starter.join(Duration.ofSeconds(30).toMillis());
        store.close();
        LOG.info("{} stopped", store.describe());
    }
}
