package io.chronik.storage.local.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Configuration of one local object store. The component is configured by factory configurations of the PID
 * {@code io.chronik.storage.local} ({@code io.chronik.storage.local~<name>} in ConfigAdmin,
 * {@code io.chronik.storage.local-<name>.cfg} with FileInstall): one store per configuration.
 */
@ObjectClassDefinition(name = "Chronik local object store",
        description = "An object store on a local directory. One store per factory configuration.")
public @interface LocalStoreConfig {

    @AttributeDefinition(name = "Root directory",
            description = "Directory that holds the objects; created if missing. Keys map to paths below it.")
    String root();

    @AttributeDefinition(name = "Store name",
            description = "Published as the store.name service property; consumers select a store with (store.name=...)")
    String store_name() default "local";
}
