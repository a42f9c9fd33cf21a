package io.chronik.storage.s3.internal;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.store.ObjectNotFoundException;
import io.chronik.api.store.ObjectStore;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * {@link ObjectStore} on one S3 bucket (AWS or an S3-compatible server), below an optional key prefix: key
 * {@code a/b} is the object {@code <prefix>a/b}.
 *
 * <p>A put is a single PutObject up to the part size, else a multipart upload ({@link S3Uploader}); S3 makes
 * either visible only when it completes, so puts are atomic, and an upload that fails is aborted. A ranged get is
 * a GET with a {@code Range} header. {@link #list} pages through ListObjectsV2 and leaves out objects whose names
 * are not valid keys (written by something else into the same bucket and prefix). S3 has no "delete if present",
 * so {@link #delete} asks HEAD first: a concurrent put between the two may be deleted or not.
 *
 * <p>Retries with backoff (5xx, throttling, I/O errors) are the SDK's, {@link S3Settings#maxAttempts} attempts per
 * request; what still fails is an {@link IOException} whose message says why ({@link S3Errors}).
 *
 * <p>Thread-safe (the SDK client is); every operation blocks on HTTP requests. {@link #close()} closes the client.
 */
public final class S3ObjectStore implements ObjectStore, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(S3ObjectStore.class);
    private static final int RANGE_NOT_SATISFIABLE = 416;

    private final S3Settings settings;
    private final S3Client client;
    private final S3Uploader uploader;
    private final int listPageSize;
    private final S3Metrics metrics;

    /** A store with its own client, built from {@code settings}; does no I/O ({@link #checkBucket} does). */
    public S3ObjectStore(S3Settings settings) {
        this(settings, S3Clients.build(settings), 1000);
    }

    S3ObjectStore(S3Settings settings, S3Client client, int listPageSize) {
        if (!settings.configured()) {
            throw new IllegalArgumentException(S3Settings.PID + ": no bucket configured");
        }
        this.settings = settings;
        this.client = client;
        this.uploader = new S3Uploader(client, settings.bucket(), settings.partSize(), describe());
        this.listPageSize = listPageSize;
        this.metrics = new S3Metrics(settings.storeName());
    }

    /** This store's counters, published as a {@code MetricSource}. */
    S3Metrics metrics() {
        return metrics;
    }

    /**
     * Runs {@code action} as the store {@code operation}: with this bundle's context class loader, timed and counted
     * (a failure is an {@link IOException} other than {@link ObjectNotFoundException}, or a runtime exception that
     * is not an invalid argument).
     */
    private <T> T run(String operation, S3Clients.ThrowingSupplier<T, IOException> action) throws IOException {
        long start = System.nanoTime();
        boolean failed = false;
        try {
            return S3Clients.withOwnClassLoader(action);
        } catch (ObjectNotFoundException | IllegalArgumentException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            failed = true;
            throw e;
        } finally {
            metrics.record(operation, System.nanoTime() - start, failed);
        }
    }

    /**
     * Checks that the bucket exists and that the credentials may use it; creates it if it is missing and
     * {@link S3Settings#createBucket} is set.
     *
     * @throws IOException saying what is wrong (missing bucket, access denied, server unreachable)
     */
    public void checkBucket() throws IOException {
        run("check_bucket", () -> {
            try {
                client.headBucket(b -> b.bucket(settings.bucket()));
                return null;
            } catch (NoSuchBucketException e) {
                if (!settings.createBucket()) {
                    throw new IOException(describe() + ": the bucket '" + settings.bucket() + "' does not exist "
                            + "(create it, or set create.bucket=true)", e);
                }
            } catch (S3Exception e) {
                if (e.statusCode() != 404 || !settings.createBucket()) {
                    throw S3Errors.toIOException(describe(), "checking the bucket", settings.bucket(), e);
                }
            } catch (SdkException e) {
                throw S3Errors.toIOException(describe(), "checking the bucket", settings.bucket(), e);
            }
            try {
                client.createBucket(b -> b.bucket(settings.bucket()));
                LOG.info("{}: created the bucket '{}'", describe(), settings.bucket());
            } catch (SdkException e) {
                throw S3Errors.toIOException(describe(), "creating the bucket", settings.bucket(), e);
            }
            return null;
        });
    }

    /** The settings this store was built from. */
    public S3Settings settings() {
        return settings;
    }

    @Override
    public long put(String key, InputStream data) throws IOException {
        ObjectStore.checkKey(key);
        Objects.requireNonNull(data, "data");
        long stored = run("put", () -> uploader.upload(key, settings.keyPrefix() + key, data));
        metrics.written(stored);
        return stored;
    }

    @Override
    public void put(String key, byte[] data) throws IOException {
        ObjectStore.checkKey(key);
        Objects.requireNonNull(data, "data");
        run("put", () -> uploader.upload(key, settings.keyPrefix() + key, data));
        metrics.written(data.length);
    }

    @Override
    public InputStream get(String key) throws IOException {
        ObjectStore.checkKey(key);
        return run("get", () -> {
            try {
                return metrics.counting(
                        client.getObject(b -> b.bucket(settings.bucket()).key(settings.keyPrefix() + key)));
            } catch (SdkException e) {
                throw failure("GET", key, e);
            }
        });
    }

    @Override
    public byte[] get(String key, long offset, int length) throws IOException {
        ObjectStore.checkKey(key);
        if (offset < 0) {
            throw new IllegalArgumentException("offset " + offset + " < 0");
        }
        if (length < 0) {
            throw new IllegalArgumentException("length " + length + " < 0");
        }
        if (length == 0) {
            size(key); // an empty range is not expressible, but a missing object must still be reported
            return new byte[0];
        }
        String range = "bytes=" + offset + "-" + (offset + length - 1);
        byte[] bytes = run("ranged_get", () -> {
            try (ResponseInputStream<GetObjectResponse> in = client.getObject(
                    b -> b.bucket(settings.bucket()).key(settings.keyPrefix() + key).range(range))) {
                if (in.response().contentRange() == null && offset > 0 && !skipFully(in, offset)) {
                    return new byte[0]; // a server that ignored the range, and the offset is past the end
                }
                byte[] read = in.readNBytes(length);
                if (read.length == length) {
                    in.abort(); // a server that ignored the range would otherwise be drained
                }
                return read;
            } catch (S3Exception e) {
                if (e.statusCode() == RANGE_NOT_SATISFIABLE) {
                    return new byte[0]; // the offset is at or past the end (of an object that exists)
                }
                throw failure("ranged GET", key, e);
            } catch (SdkException e) {
                throw failure("ranged GET", key, e);
            }
        });
        metrics.read(bytes.length);
        return bytes;
    }

    @Override
    public long size(String key) throws IOException {
        ObjectStore.checkKey(key);
        return run("size", () -> head(key).contentLength());
    }

    private HeadObjectResponse head(String key) throws IOException {
        try {
            return client.headObject(b -> b.bucket(settings.bucket()).key(settings.keyPrefix() + key));
        } catch (SdkException e) {
            throw failure("HEAD", key, e);
        }
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        Objects.requireNonNull(prefix, "prefix");
        String fullPrefix = settings.keyPrefix() + prefix;
        return run("list", () -> {
            List<String> keys = new ArrayList<>();
            ListObjectsV2Request.Builder request = ListObjectsV2Request.builder()
                    .bucket(settings.bucket()).prefix(fullPrefix).maxKeys(listPageSize);
            try {
                String token = null;
                do {
                    ListObjectsV2Response page = client.listObjectsV2(request.continuationToken(token).build());
                    for (S3Object object : page.contents()) {
                        String key = object.key().substring(settings.keyPrefix().length());
                        if (ObjectStore.isValidKey(key)) {
                            keys.add(key);
                        }
                    }
                    token = Boolean.TRUE.equals(page.isTruncated()) ? page.nextContinuationToken() : null;
                } while (token != null);
            } catch (SdkException e) {
                throw S3Errors.toIOException(describe(), "LIST", fullPrefix + "*", e);
            }
            Collections.sort(keys); // S3 orders by UTF-8 bytes; the contract by String
            return keys;
        });
    }

    @Override
    public boolean delete(String key) throws IOException {
        ObjectStore.checkKey(key);
        return run("delete", () -> {
            try {
                head(key);
            } catch (ObjectNotFoundException e) {
                return false;
            }
            try {
                client.deleteObject(b -> b.bucket(settings.bucket()).key(settings.keyPrefix() + key));
                return true;
            } catch (SdkException e) {
                throw failure("DELETE", key, e);
            }
        });
    }

    /** Skips {@code n} bytes; {@code false} if the stream ended first. */
    private static boolean skipFully(InputStream in, long n) throws IOException {
        long left = n;
        while (left > 0) {
            long skipped = in.skip(left);
            if (skipped <= 0) {
                if (in.read() < 0) {
                    return false;
                }
                skipped = 1;
            }
            left -= skipped;
        }
        return true;
    }

    private IOException failure(String operation, String key, SdkException e) {
        if (S3Errors.isNoSuchKey(e)) {
            return new ObjectNotFoundException(key);
        }
        return S3Errors.toIOException(describe(), operation, key, e);
    }

    /** Closes the SDK client (and its HTTP client). */
    @Override
    public void close() {
        client.close();
    }

    String describe() {
        return "object store '" + settings.storeName() + "' (" + settings.location() + ")";
    }

    @Override
    public String toString() {
        return "S3ObjectStore[" + settings.storeName() + " on " + settings.location() + "]";
    }
}
