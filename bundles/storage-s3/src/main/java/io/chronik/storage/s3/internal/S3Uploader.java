package io.chronik.storage.s3.internal;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;

/**
 * The put protocol: data up to one part size is one PutObject; longer data is a multipart upload, read and sent one
 * part at a time (so at most two parts are in memory: the one being sent and the one read ahead to see whether the
 * data has ended). S3 publishes the object only when the upload completes; any failure (including the input stream
 * failing) aborts the upload, so the previous object stays and no parts are left behind, except when the abort itself
 * fails (then the bucket's lifecycle rule for incomplete uploads cleans them up; docs/object-stores.md).
 *
 * <p>Thread-safe and stateless; blocks on the input stream and on HTTP requests.
 */
final class S3Uploader {
    private static final Logger LOG = LoggerFactory.getLogger(S3Uploader.class);

    private final S3Client client;
    private final String bucket;
    private final int partSize;
    private final String store;

    S3Uploader(S3Client client, String bucket, int partSize, String store) {
        this.client = client;
        this.bucket = bucket;
        this.partSize = partSize;
        this.store = store;
    }

    /** Stores all of {@code data} (not closed) as {@code objectKey}; returns the number of bytes stored. */
    long upload(String key, String objectKey, InputStream data) throws IOException {
        byte[] first = read(key, data);
        if (first.length < partSize) {
            putObject(key, objectKey, first);
            return first.length;
        }
        byte[] next = read(key, data);
        if (next.length == 0) {
            putObject(key, objectKey, first);
            return first.length;
        }
        return multipart(key, objectKey, first, next, data);
    }

    /** Stores {@code data} as {@code objectKey} with one PutObject (S3 takes up to 5 GiB in one request). */
    int upload(String key, String objectKey, byte[] data) throws IOException {
        putObject(key, objectKey, data);
        return data.length;
    }

    private void putObject(String key, String objectKey, byte[] data) throws IOException {
        try {
            client.putObject(b -> b.bucket(bucket).key(objectKey).contentLength((long) data.length),
                    RequestBody.fromBytes(data));
        } catch (SdkException e) {
            throw S3Errors.toIOException(store, "PUT", key, e);
        }
    }

    private long multipart(String key, String objectKey, byte[] first, byte[] second, InputStream data)
            throws IOException {
        String uploadId;
        try {
            uploadId = client.createMultipartUpload(b -> b.bucket(bucket).key(objectKey)).uploadId();
        } catch (SdkException e) {
            throw S3Errors.toIOException(store, "starting a multipart upload of", key, e);
        }
        List<CompletedPart> parts = new ArrayList<>();
        long total = 0;
        boolean completed = false;
        try {
            byte[] part = first;
            byte[] ahead = second;
            while (part.length > 0) {
                parts.add(uploadPart(key, objectKey, uploadId, parts.size() + 1, part));
                total += part.length;
                part = ahead;
                ahead = part.length == partSize ? read(key, data) : new byte[0];
            }
            try {
                client.completeMultipartUpload(b -> b.bucket(bucket).key(objectKey).uploadId(uploadId)
                        .multipartUpload(u -> u.parts(parts)));
            } catch (SdkException e) {
                throw S3Errors.toIOException(store, "completing the multipart upload of", key, e);
            }
            completed = true;
            return total;
        } finally {
            if (!completed) {
                abort(key, objectKey, uploadId);
            }
        }
    }

    private CompletedPart uploadPart(String key, String objectKey, String uploadId, int number, byte[] bytes)
            throws IOException {
        try {
            String etag = client.uploadPart(b -> b.bucket(bucket).key(objectKey).uploadId(uploadId).partNumber(number)
                    .contentLength((long) bytes.length), RequestBody.fromBytes(bytes)).eTag();
            return CompletedPart.builder().partNumber(number).eTag(etag).build();
        } catch (SdkException e) {
            throw S3Errors.toIOException(store, "uploading part " + number + " of", key, e);
        }
    }

    private void abort(String key, String objectKey, String uploadId) {
        try {
            client.abortMultipartUpload(b -> b.bucket(bucket).key(objectKey).uploadId(uploadId));
        } catch (SdkException e) {
            LOG.warn("{}: aborting the failed multipart upload {} of '{}' failed, its parts stay until the bucket's "
                    + "lifecycle rule removes them: {}", store, uploadId, key, S3Errors.reason(e));
        }
    }

    private byte[] read(String key, InputStream data) throws IOException {
        try {
            return data.readNBytes(partSize);
        } catch (IOException e) {
            throw new IOException(store + ": reading the data to put under '" + key + "' failed: " + e, e);
        }
    }
}
