/**
 * Chronik's on-disk partition log: Kafka-style segment files of magic v2 record batches, sparse offset and time
 * indexes, idempotent-producer state, the leader-epoch cache and atomic checkpoints for the Raft state machine.
 * A plain library (no services); see {@link io.chronik.log.SegmentLog}, and {@link io.chronik.log.RecordBatches} for
 * the integrity check a Raft leader makes before it replicates produced batches.
 */
@Export
@Version("1.2.0")
package io.chronik.log;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
