/**
 * The in-JVM network of the memory Raft transport, with faults on demand: {@link
 * io.chronik.transport.memory.MemoryNetwork} and {@link io.chronik.transport.memory.Faults}. JDK types only, so that
 * several OSGi frameworks in one JVM can share one network through their system bundle (docs/transports.md).
 */
@Version("1.0.0")
package io.chronik.transport.memory;

import org.osgi.annotation.versioning.Version;
