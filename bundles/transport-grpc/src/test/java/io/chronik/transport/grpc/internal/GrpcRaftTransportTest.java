package io.chronik.transport.grpc.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.Map;

import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcFactory;
import org.apache.ratis.rpc.RpcFactory;
import org.apache.ratis.rpc.SupportedRpcType;
import org.junit.Test;

import io.chronik.ratis.rpc.RaftTransport;

public class GrpcRaftTransportTest {

    @Test
    public void createsGrpcFactoryForRatisParameters() {
        GrpcRaftTransport transport = new GrpcRaftTransport();
        assertEquals("grpc", transport.name());
        RpcFactory factory = transport.newFactory(new Parameters(), Map.of(RaftTransport.ADDRESS, "127.0.0.1:9093"));
        assertTrue(factory instanceof GrpcFactory);
        assertEquals(SupportedRpcType.GRPC, factory.getRpcType());
        assertTrue(transport.newFactory(new Parameters(), Map.of(RaftTransport.ADDRESS, "[::1]:0")) instanceof GrpcFactory);
        assertTrue(transport.newFactory(new Parameters(), Map.of()) instanceof GrpcFactory);
    }

    @Test
    public void rejectsBadAddresses() {
        GrpcRaftTransport transport = new GrpcRaftTransport();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> transport.newFactory(new Parameters(), Map.of(RaftTransport.ADDRESS, "nohostport")));
        assertEquals("transport property address 'nohostport' is not host:port: missing ':port'", e.getMessage());
    }
}
