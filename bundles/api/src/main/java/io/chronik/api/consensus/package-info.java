/**
 * Consensus SPI: cluster metadata and replicated partition logs, shaped so that the Kafka protocol bundle never sees the consensus implementation's types.
 */
@Export
@Version("1.4.0")
package io.chronik.api.consensus;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
