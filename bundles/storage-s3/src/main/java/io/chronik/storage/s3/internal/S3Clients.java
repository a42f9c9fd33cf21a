package io.chronik.storage.s3.internal;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

/**
 * Builds the SDK's {@link S3Client} from {@link S3Settings}, with everything the SDK would otherwise discover set
 * explicitly: the HTTP client (the JDK's {@code HttpURLConnection}, no ServiceLoader lookup), the region and the
 * credentials provider. Inside OSGi the SDK also reads class-path resources (its interceptors and endpoint rules)
 * through the thread context class loader, so {@link #build} runs with this bundle's class loader as that.
 */
final class S3Clients {

    private S3Clients() {
    }

    /** A client for {@code settings}; the caller closes it. */
    static S3Client build(S3Settings settings) {
        return withOwnClassLoader(() -> {
            SdkHttpClient http = UrlConnectionHttpClient.builder()
                    .connectionTimeout(settings.connectTimeout())
                    .socketTimeout(settings.socketTimeout())
                    .build();
            ClientOverrideConfiguration.Builder override = ClientOverrideConfiguration.builder()
                    .retryStrategy(RetryMode.STANDARD)
                    .retryStrategy(b -> b.maxAttempts(settings.maxAttempts()));
            if (!settings.requestTimeout().isZero()) {
                override.apiCallAttemptTimeout(settings.requestTimeout());
            }
            S3ClientBuilder builder = S3Client.builder()
                    .httpClient(http)
                    .region(region(settings))
                    .credentialsProvider(credentials(settings))
                    .forcePathStyle(settings.pathStyle())
                    // checksums only where the API requires them: many S3-compatible servers reject the SDK's
                    // default trailing checksums (aws-chunked uploads); payloads over http are SigV4-signed anyway
                    .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                    .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                    .overrideConfiguration(override.build());
            if (settings.endpoint() != null) {
                builder.endpointOverride(settings.endpoint());
            }
            return builder.build();
        });
    }

    private static Region region(S3Settings settings) {
        if (settings.region() != null) {
            return Region.of(settings.region());
        }
        try {
            return DefaultAwsRegionProviderChain.builder().build().getRegion();
        } catch (RuntimeException e) {
            return Region.US_EAST_1; // S3-compatible servers mostly ignore the region; AWS redirects to the right one
        }
    }

    private static AwsCredentialsProvider credentials(S3Settings settings) {
        if (settings.accessKeyId() != null) {
            return StaticCredentialsProvider.create(
                    AwsBasicCredentials.create(settings.accessKeyId(), settings.secretAccessKey()));
        }
        return DefaultCredentialsProvider.builder().build();
    }

    /** Runs {@code action} with this bundle's class loader as the thread's context class loader. */
    static <T, E extends Exception> T withOwnClassLoader(ThrowingSupplier<T, E> action) throws E {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(S3Clients.class.getClassLoader());
        try {
            return action.get();
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    /** A supplier that may throw {@code E}. */
    @FunctionalInterface
    interface ThrowingSupplier<T, E extends Exception> {
        T get() throws E;
    }
}
