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

import io.chronik.api.metrics.MetricSource;
import io.chronik.api.store.ObjectStore;
import io.chronik.api.store.ObjectStoreStatus;

/**
 * The DS shell of {@link S3ObjectStore}: configured by the PID {@code io.chronik.storage.s3}, it registers the
 * {@link ObjectStore} service (with {@code store.name}, default {@code s3}) only once the configuration names a bucket
 * and the bucket has been reached. No configuration, or an empty bucket: no service. A bucket that is missing or
 * denied, or a server that is down, is logged in one line naming the cause and retried in the background with backoff
 * (up to a minute apart) while nothing is registered, so consumers keep the store they have; the service appears
 * when the check passes.
 *
 * <p>The service is registered as {@link ObjectStore} and {@link MetricSource} (the store's counters, see
 * {@link S3Metrics}). Beside it, from the moment a bucket is configured, a {@link StoreStatus} is registered as
 * {@link ObjectStoreStatus} and {@link MetricSource}: {@code checking}, then {@code available} or {@code unavailable}
 * with the problem, in its service properties, so that the launcher can refuse to start a node whose store is
 * unavailable, and {@code chronik_s3_store_available} on {@code /metrics}.
 *
 * <p>The SDK client is built and the bucket checked on a thread of the component's own, not on SCR's or
 * ConfigAdmin's. A configuration change deactivates and reactivates the component
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
    private final S3Settings settings;
    private final Thread starter;
    private final Object lock = new Object();
    private S3ObjectStore store; // guarded by lock; built by the starter thread
    private ServiceRegistration<?> registration; // guarded by lock
    private final StoreStatus status;
    private ServiceRegistration<?> statusRegistration; // guarded by lock
    private boolean stopped; // guarded by lock

    @Activate
    public S3StoreComponent(BundleContext context, S3StoreConfig config) {
        this.context = context;
        this.settings = S3Settings.from(config);
        if (!settings.configured()) {
            LOG.info("{} has no bucket: the S3 object store is not started", S3Settings.PID);
            this.starter = null;
            this.status = null;
            return;
        }
        this.status = new StoreStatus(settings.storeName());
        this.statusRegistration = context.registerService(
                new String[] {ObjectStoreStatus.class.getName(), MetricSource.class.getName()}, status,
                status.properties(settings));
        this.starter = new Thread(this::checkAndRegister, "chronik-s3-store-" + settings.storeName());
        starter.setDaemon(true);
        starter.start();
    }

    private void checkAndRegister() {
        S3ObjectStore created;
        try {
            created = new S3ObjectStore(settings); // loads the SDK: seconds on a busy machine
        } catch (RuntimeException e) {
            LOG.error("{}: cannot create the S3 client, the store is not started: {}", settings.location(), e.toString(), e);
            report(() -> status.unavailable("object store '" + settings.storeName() + "' (" + settings.location()
                    + "): cannot create the S3 client: " + e));
            return;
        }
        synchronized (lock) {
            if (stopped) {
                created.close();
                return;
            }
            store = created;
        }
        Duration wait = FIRST_RETRY;
        String lastProblem = null;
        while (true) {
            try {
                created.checkBucket();
                register(created);
                return;
            } catch (IOException | RuntimeException e) {
                if (isStopped()) {
                    return; // deactivated while checking: the failure is the interrupt
                }
                String problem = String.valueOf(e.getMessage());
                report(() -> status.unavailable(problem));
                if (!problem.equals(lastProblem)) {
                    LOG.error("{}; the store is not registered, checking again in the background", problem);
                    lastProblem = problem;
                } else {
                    LOG.debug("{} is still not available: {}", created.describe(), problem);
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

    /** Changes the status and publishes it in the status registration's properties, unless deactivated. */
    private void report(Runnable change) {
        synchronized (lock) {
            change.run();
            if (!stopped && statusRegistration != null) {
                try {
                    statusRegistration.setProperties(status.properties(settings));
                } catch (IllegalStateException e) {
                    // unregistered with the bundle
                }
            }
        }
    }

    private boolean isStopped() {
        synchronized (lock) {
            return stopped;
        }
    }

    private void register(S3ObjectStore store) {
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
            registration = context.registerService(new String[] {ObjectStore.class.getName(), MetricSource.class.getName()},
                    new RegisteredStore(store), properties);
        }
        report(status::available);
        LOG.info("{} is available", store.describe());
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        if (starter == null) {
            return;
        }
        ServiceRegistration<?> registered;
        ServiceRegistration<?> statusRegistered;
        S3ObjectStore created;
        synchronized (lock) {
            stopped = true;
            registered = registration;
            registration = null;
            statusRegistered = statusRegistration;
            statusRegistration = null;
            created = store;
        }
        starter.interrupt();
        for (ServiceRegistration<?> r : new ServiceRegistration<?>[] {registered, statusRegistered}) {
            if (r != null) {
                try {
                    r.unregister();
                } catch (IllegalStateException e) {
                    // already unregistered with the bundle
                }
            }
        }
        starter.join(Duration.ofSeconds(30).toMillis());
        if (created != null) {
            created.close();
            LOG.info("{} stopped", created.describe());
        }
    }
}
