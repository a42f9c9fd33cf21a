/**
 * Archive SPI: compressed, checksummed blobs (snapshots, sealed segments) kept in the active object store.
 */
@Export
@Version("1.0.0")
package io.chronik.api.archive;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
