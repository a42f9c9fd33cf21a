/**
 * Plugging a Raft transport from another bundle into the embedded Apache Ratis, and running Ratis code with the
 * right thread context class loader.
 */
@Version("1.0.0")
package io.chronik.ratis.rpc;

import org.osgi.annotation.versioning.Version;
