/** The memory Raft transport's Ratis RPC (private). */
package io.chronik.transport.memory.internal;
