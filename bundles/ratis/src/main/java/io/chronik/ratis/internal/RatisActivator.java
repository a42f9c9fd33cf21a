package io.chronik.ratis.internal;

import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;

import io.chronik.ratis.rpc.RatisContext;

/**
 * Pins Ratis' reflective class loader ({@code ReflectionUtils} captures the thread context class loader once) to
 * this bundle's loader as soon as the bundle starts, before any other bundle can touch Ratis with its own context
 * class loader.
 */
public final class RatisActivator implements BundleActivator {

    @Override
    public void start(BundleContext context) {
        RatisContext.run(() -> { });
    }

    @Override
    public void stop(BundleContext context) {
        // nothing: Ratis' static state lives as long as this bundle's class loader
    }
}
