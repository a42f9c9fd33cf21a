/**
 * Raft transport SPI: pluggable network transports for the consensus provider (gRPC in production, in-memory for tests).
 */
@Export
@Version("1.0.0")
package io.chronik.api.transport;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
