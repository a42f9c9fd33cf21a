package io.chronik.log;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.HashMap;
import java.util.Map;

import org.junit.Test;

import io.chronik.api.consensus.ConsensusException;

public class LogConfigTest {

    @Test
    public void defaults() throws Exception {
        LogConfig c = LogConfig.of(Map.of("min.insync.replicas", "2"));
        assertEquals(1073741824, c.segmentBytes());
        assertEquals(604800000L, c.segmentMs());
        assertEquals(604800000L, c.retentionMs());
        assertEquals(-1L, c.retentionBytes());
        assertEquals(1048588, c.maxMessageBytes());
        assertEquals("CreateTime", c.messageTimestampType());
        assertFalse(c.isLogAppendTime());
        assertEquals(4096, c.indexIntervalBytes());
        assertEquals(10485760, c.segmentIndexBytes());
        assertEquals("delete", c.cleanupPolicy());
        assertEquals("producer", c.compressionType());
        assertEquals(Long.MAX_VALUE, c.messageTimestampBeforeMaxMs());
        assertEquals(3600000L, c.messageTimestampAfterMaxMs());
        assertEquals(LogConfig.names(), LogConfig.defaults().keySet());
        assertEquals(14, LogConfig.names().size());
        assertEquals(LogConfig.defaults(), c.toMap());
        assertEquals(c, LogConfig.of(LogConfig.defaults()));
    }

    @Test
    public void values() throws Exception {
        Map<String, String> m = new HashMap<>();
        m.put("segment.bytes", " 1000 ");
        m.put("message.timestamp.type", "LogAppendTime");
        m.put("retention.ms", "-1");
        m.put("compression.type", "zstd");
        LogConfig c = LogConfig.of(m);
        assertEquals(1000, c.segmentBytes());
        assertTrue(c.isLogAppendTime());
        assertEquals(-1L, c.retentionMs());
        assertEquals("zstd", c.compressionType());
    }

    @Test
    public void invalid() {
        bad("segment.bytes", "abc", "segment.bytes");
        bad("segment.bytes", "5", "segment.bytes");
        bad("segment.bytes", "3000000000", "segment.bytes");
        bad("retention.ms", "-2", "retention.ms");
        bad("message.timestamp.type", "Whenever", "message.timestamp.type");
        bad("cleanup.policy", "compact", "compaction is not supported");
        bad("cleanup.policy", "compact,delete", "compaction is not supported");
        bad("cleanup.policy", "purge", "cleanup.policy");
        bad("compression.type", "brotli", "compression.type");
        bad("segment.ms", "0", "segment.ms");
        bad("max.message.bytes", null, "max.message.bytes");
    }

    private static void bad(String name, String value, String expectedInMessage) {
        Map<String, String> m = new HashMap<>();
        m.put(name, value);
        try {
            LogConfig.of(m);
            fail(name + "=" + value + " accepted");
        } catch (ConsensusException e) {
            assertEquals(ConsensusException.Reason.INVALID_CONFIG, e.reason());
            assertTrue(e.getMessage(), e.getMessage().contains(expectedInMessage));
        }
    }
}
