package io.chronik.archive.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "Chronik archive", description = "Where snapshots and sealed segments are archived, and how they are compressed")
@interface ArchiveConfig {

    @AttributeDefinition(description = "LDAP filter choosing the object store, e.g. (store.name=local) or (store.name=s3)")
    String store_target() default "(store.name=local)";

    @AttributeDefinition(description = "codec.name of the codec new blobs are written with: gzip, zstd, lz4, snappy or none")
    String codec() default "zstd";
}
