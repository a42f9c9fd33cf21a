package io.chronik.transport.grpc.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.Map;

import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcFactory;
import org.apache.ratis.rpc.SupportedRpcType;
import org.junit.Test;

public class GrpcRaftTransportTest {

    @Test
    public void createsGrpcFactoryForRatisParameters() {
        GrpcRaftTransport transport = new GrpcRaftTransport();
        assertEquals("grpc", transport.name());
        Object factory = transport.newFactory(new Parameters(), Map.of(GrpcRaftTransport.ADDRESS, "127.0.0.1:9093"));
        assertTrue(factory instanceof GrpcFactory);
        assertEquals(SupportedRpcType.GRPC, ((GrpcFactory) factory).getRpcType());
    }

    @Test
    public void rejectsForeignParametersAndBadAddresses() {
        GrpcRaftTransport transport = new GrpcRaftTransport();
        try {
            transport.newFactory("not ratis", Map.of());
            fail();
        } catch (IllegalArgumentException expected) {
            assertTrue(expected.getMessage().contains("Parameters"));
        }
        try {
            transport.newFactory(new Parameters(), Map.of(GrpcRaftTransport.ADDRESS, "nohostport"));
            fail();
        } catch (IllegalArgumentException expected) {
            assertTrue(expected.getMessage().contains("host:port"));
        }
    }
}
