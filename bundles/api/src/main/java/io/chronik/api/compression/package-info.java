/**
 * Compression codec SPI: streaming codecs, one OSGi service per codec, named by the {@code codec.name} service property.
 */
@Export
@Version("1.0.0")
package io.chronik.api.compression;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
