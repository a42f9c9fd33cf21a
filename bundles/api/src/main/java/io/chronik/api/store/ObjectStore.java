package io.chronik.api.store;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A flat key to bytes store: the durable home of Raft snapshots and tiered log segments.
 *
 * <p><b>Keys.</b> A key is a {@code /}-separated path of one or more non-empty segments, for example
 * {@code snapshots/group-1/0000000042.snap}. A key must not start or end with {@code /}, contain an empty
 * segment ({@code a//b}), a {@code .} or {@code ..} segment, a backslash or a NUL character. An invalid key
 * is rejected with {@link IllegalArgumentException} before any I/O is done ({@link #checkKey(String)} states the
 * rule; a store may reserve more names and says so).
 *
 * <p><b>Blocking.</b> Every method blocks the calling thread until the operation has completed (or failed)
 * against the underlying medium; callers on event-loop threads must hand off to their own executor.
 *
 * <p><b>Atomicity and durability.</b> {@link #put} is atomic: a concurrent or later {@link #get} sees either
 * the previous object or the whole new one, never a partial write. When {@code put} returns normally the
 * object is durable (flushed to stable storage, or acknowledged by the remote store).
 *
 * <p><b>Thread-safety.</b> Implementations are safe for concurrent use by many threads. Concurrent puts to
 * the same key are last-writer-wins.
 *
 * <p><b>Errors.</b> {@link ObjectNotFoundException} means the key does not exist; any other
 * {@link IOException} is a failure of the medium (disk, network, permissions) and the operation may be
 * retried.
 *
 * <p>Each registered service carries the {@value #STORE_NAME} property naming the store, so that a consumer
 * can choose one with a target filter such as {@code (store.name=local)}.
 */
@ProviderType
public interface ObjectStore {

    /** Service property naming a store instance, for example {@code local} or {@code s3}. */
    String STORE_NAME = "store.name";

    /**
     * Checks {@code key} against the key rule above.
     *
     * @throws IllegalArgumentException naming the key and the problem ({@code invalid object key 'a//b': contains an
     *                                  empty segment}) if it is not a valid key
     */
    static void checkKey(String key) {
        String problem = keyProblem(key);
        if (problem != null) {
            throw new IllegalArgumentException("invalid object key "
                    + (key == null ? "null" : "'" + key.replace("\0", "\\0") + "'") + ": " + problem);
        }
    }

    /** {@code true} if {@code key} is a valid key by the rule above. */
    static boolean isValidKey(String key) {
        return keyProblem(key) == null;
    }

    /** What is wrong with {@code key} ({@code "contains an empty segment"}, ...), or {@code null} if it is valid. */
    static String keyProblem(String key) {
        if (key == null) {
            return "null";
        }
        if (key.isEmpty()) {
            return "empty";
        }
        if (key.indexOf('\0') >= 0) {
            return "contains a NUL character";
        }
        if (key.indexOf('\\') >= 0) {
            return "contains a backslash";
        }
        if (key.charAt(0) == '/') {
            return "starts with '/'";
        }
        if (key.charAt(key.length() - 1) == '/') {
            return "ends with '/'";
        }
        int start = 0;
        while (start <= key.length()) {
            int end = key.indexOf('/', start);
            if (end < 0) {
                end = key.length();
            }
            String segment = key.substring(start, end);
            if (segment.isEmpty()) {
                return "contains an empty segment";
            }
            if (segment.equals(".") || segment.equals("..")) {
                return "contains a '" + segment + "' segment";
            }
            start = end + 1;
        }
        return null;
    }

    /**
     * Stores {@code data} under {@code key}, replacing any previous object. Reads the stream to its end but
     * does not close it.
     *
     * @return the number of bytes stored
     * @throws IllegalArgumentException if the key is invalid
     * @throws IOException if the data could not be read or stored; the previous object, if any, is unchanged
     */
    long put(String key, InputStream data) throws IOException;

    /** Stores {@code data} under {@code key}; same contract as {@link #put(String, InputStream)}. */
    void put(String key, byte[] data) throws IOException;

    /**
     * Opens the object stored under {@code key}. The caller must close the returned stream. The stream
     * reads the object as it was when this method was called, even if it is replaced meanwhile.
     *
     * @throws ObjectNotFoundException if there is no such object
     */
    InputStream get(String key) throws IOException;

    /**
     * Reads up to {@code length} bytes of the object under {@code key} starting at {@code offset}. Fewer bytes
     * are returned only when the object ends first; an offset at or past the end gives an empty array.
     *
     * @throws IllegalArgumentException if the key is invalid, {@code offset < 0} or {@code length < 0}
     * @throws ObjectNotFoundException if there is no such object
     */
    byte[] get(String key, long offset, int length) throws IOException;

    /**
     * The size in bytes of the object under {@code key}.
     *
     * @throws ObjectNotFoundException if there is no such object
     */
    long size(String key) throws IOException;

    /**
     * Lists the keys that start with {@code prefix}, in lexicographic order. The prefix is matched as a
     * plain string (so {@code "snap"} matches {@code snapshots/a}); the empty prefix lists every key.
     */
    List<String> list(String prefix) throws IOException;

    /**
     * Deletes the object under {@code key}.
     *
     * @return {@code true} if an object was deleted, {@code false} if there was none
     */
    boolean delete(String key) throws IOException;
}
