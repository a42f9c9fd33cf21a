/**
 * Object store SPI: a flat key to bytes store (local directory, S3, ...) used for snapshots and tiered segments.
 */
@Export
@Version("1.1.0")
package io.chronik.api.store;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
