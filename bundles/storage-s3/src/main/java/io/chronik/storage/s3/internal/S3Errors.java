package io.chronik.storage.s3.internal;

import java.io.IOException;

import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Maps the SDK's unchecked exceptions to the {@link io.chronik.api.store.ObjectStore} contract's {@link IOException}s,
 * with a message that says which store, operation and key failed and why: access denied, missing bucket, server
 * unavailable or throttling (after the SDK's retries), or the client side (connection refused, timeout).
 */
final class S3Errors {

    private S3Errors() {
    }

    /** {@code true} if {@code e} says that the key (not the bucket) does not exist. */
    static boolean isNoSuchKey(SdkException e) {
        if (e instanceof NoSuchKeyException) {
            return true;
        }
        return e instanceof S3Exception s3 && s3.statusCode() == 404 && !(e instanceof NoSuchBucketException)
                && !"NoSuchBucket".equals(errorCode(s3));
    }

    /** An {@link IOException} describing the failed {@code operation} on {@code key} (may be {@code null}). */
    static IOException toIOException(String store, String operation, String key, SdkException e) {
        StringBuilder message = new StringBuilder(store).append(": ").append(operation);
        if (key != null) {
            message.append(" '").append(key).append('\'');
        }
        message.append(" failed: ").append(reason(e));
        return new IOException(message.toString(), e);
    }

    /** Why {@code e} happened, in words an operator can act on. */
    static String reason(SdkException e) {
        if (e instanceof S3Exception s3) {
            int status = s3.statusCode();
            String code = errorCode(s3);
            String detail = " (HTTP " + status + (code == null ? "" : ", " + code) + ")";
            if (e instanceof NoSuchBucketException || "NoSuchBucket".equals(code)) {
                return "the bucket does not exist" + detail;
            }
            if (status == 403 || "AccessDenied".equals(code) || "InvalidAccessKeyId".equals(code)
                    || "SignatureDoesNotMatch".equals(code)) {
                return "access denied: check the credentials and the bucket policy" + detail;
            }
            if (status == 503 || "SlowDown".equals(code) || "Throttling".equals(code)) {
                return "the server is throttling or unavailable, retries exhausted" + detail;
            }
            if (status >= 500) {
                return "server error, retries exhausted" + detail + ": " + s3.getMessage();
            }
            return s3.getMessage();
        }
        if (e instanceof SdkClientException && String.valueOf(e.getMessage()).startsWith("Unable to load credentials")) {
            // the SDK's provider chain found nothing; its message lists every provider on one very long line
            return "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE, a role, or "
                    + "access.key.id and secret.access.key)";
        }
        if (e instanceof SdkClientException) {
            return "cannot reach the server: " + e.getMessage();
        }
        return e.getMessage();
    }

    private static String errorCode(S3Exception e) {
        return e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
    }
}
