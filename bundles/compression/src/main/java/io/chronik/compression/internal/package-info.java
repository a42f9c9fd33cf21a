/**
 * Codec implementations (one DS component per codec) and the stream wrappers that turn decoder failures into
 * {@link io.chronik.api.compression.CorruptDataException}. Not exported.
 */
package io.chronik.compression.internal;
