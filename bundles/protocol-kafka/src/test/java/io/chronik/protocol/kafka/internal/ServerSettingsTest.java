package io.chronik.protocol.kafka.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import org.junit.Test;

public class ServerSettingsTest {

    @Test
    public void metricsTopicLabelsMaxDefaultsTo1000AndMustNotBeNegative() {
        ServerSettings d = ServerSettings.defaults("127.0.0.1:0");
        assertEquals(1000, d.metricsTopicLabelsMax());
        assertEquals(0, d.withMetricsTopicLabelsMax(0).metricsTopicLabelsMax());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> d.withMetricsTopicLabelsMax(-1));
        assertEquals("metrics.topic.labels.max must not be negative: -1", e.getMessage());
    }
}
