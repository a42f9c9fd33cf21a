package io.chronik.itests;

import java.nio.file.Path;
import java.util.concurrent.Callable;

import org.apache.kafka.clients.admin.Admin;
import org.junit.rules.ExternalResource;

/**
 * A class rule: one broker process started from a copy of the distribution before a test class, with an
 * {@link Admin} client on it, both closed after the class.
 */
final class RunningBroker extends ExternalResource {
    private final Callable<Path> distribution;
    private Broker broker;
    private Admin admin;

    /** @param distribution makes the copy of the distribution the broker runs from */
    RunningBroker(Callable<Path> distribution) {
        this.distribution = distribution;
    }

    @Override
    protected void before() throws Throwable {
        broker = Broker.start(distribution.call());
        admin = Admin.create(broker.adminConfig());
    }

    @Override
    protected void after() {
        if (admin != null) {
            admin.close();
        }
        if (broker != null) {
            try {
                broker.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    Broker broker() {
        return broker;
    }

    Admin admin() {
        return admin;
    }
}
