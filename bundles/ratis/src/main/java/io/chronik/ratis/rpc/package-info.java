/**
 * Plugging a Raft transport from another bundle into the embedded Apache Ratis (the {@link
 * io.chronik.ratis.rpc.RaftTransport} service SPI and the {@link io.chronik.ratis.rpc.TransportRpcType} that hands
 * its factory to Ratis), and running Ratis code with the right thread context class loader.
 */
@Version("1.2.0")
package io.chronik.ratis.rpc;

import org.osgi.annotation.versioning.Version;
