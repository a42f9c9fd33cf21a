package io.chronik.storage.s3.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.junit.Test;

public class S3SettingsTest {

    private static S3Settings parse(Object... keyValues) {
        Map<String, Object> values = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            values.put((String) keyValues[i], keyValues[i + 1]);
        }
        return S3Settings.from(S3Proxies.config(values));
    }

    @Test
    public void defaultsAreAnUnconfiguredStoreOnAwsWithTheDefaultChains() {
        S3Settings settings = parse();
        assertFalse(settings.configured());
        assertNull(settings.endpoint());
        assertNull(settings.region());
        assertNull(settings.accessKeyId());
        assertEquals("", settings.keyPrefix());
        assertEquals("s3", settings.storeName());
        assertEquals(8 * 1024 * 1024, settings.partSize());
        assertEquals(3, settings.maxAttempts());
        assertEquals(Duration.ofSeconds(60), settings.requestTimeout());
        assertFalse(settings.pathStyle());
        assertFalse(settings.createBucket());
    }

    @Test
    public void valuesAreTrimmedAndNormalised() {
        S3Settings settings = parse("bucket", " chronik-data ", "endpoint", "http://127.0.0.1:9000",
                "region", "eu-west-1", "key_prefix", "/prod/cluster-1/", "access_key_id", "AK", "secret_access_key",
                "SK", "path_style", true, "request_timeout_ms", 0, "store_name", " ");
        assertTrue(settings.configured());
        assertEquals("chronik-data", settings.bucket());
        assertEquals(URI.create("http://127.0.0.1:9000"), settings.endpoint());
        assertEquals("prod/cluster-1/", settings.keyPrefix());
        assertEquals(Duration.ZERO, settings.requestTimeout());
        assertEquals("s3", settings.storeName());
        assertEquals("s3://chronik-data/prod/cluster-1/ at http://127.0.0.1:9000", settings.location());
        assertFalse("the secret never shows", settings.toString().contains("SK"));
    }

    @Test
    public void invalidValuesNameTheSetting() {
        assertInvalid("endpoint", "bucket", "b12", "endpoint", "ftp://host");
        assertInvalid("endpoint", "bucket", "b12", "endpoint", "not a url");
        assertInvalid("bucket", "bucket", "Has/Slash");
        assertInvalid("access.key.id and secret.access.key", "bucket", "b12", "access_key_id", "AK");
        assertInvalid("part.size.bytes", "bucket", "b12", "part_size_bytes", 1024);
        assertInvalid("max.attempts", "bucket", "b12", "max_attempts", 0);
        assertInvalid("connect.timeout.ms", "bucket", "b12", "connect_timeout_ms", 0);
        assertInvalid("key.prefix", "bucket", "b12", "key_prefix", "a//b");
        assertInvalid("key.prefix", "bucket", "b12", "key_prefix", "a/../b");
    }

    private static void assertInvalid(String setting, Object... keyValues) {
        try {
            parse(keyValues);
            fail("invalid " + setting + " accepted");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains(setting));
            assertTrue(e.getMessage(), e.getMessage().startsWith("io.chronik.storage.s3: "));
        }
    }
}
