package io.chronik.transport.memory.internal;

import java.util.Map;

import org.apache.ratis.conf.Parameters;
import org.apache.ratis.rpc.RpcFactory;
import org.osgi.service.component.annotations.Component;

import io.chronik.ratis.rpc.RaftTransport;
import io.chronik.ratis.rpc.TransportObserver;
import io.chronik.transport.memory.MemoryNetwork;

/**
 * The memory Raft transport: Raft traffic between nodes in one JVM over {@link MemoryNetwork#shared()}, with the
 * network's faults on demand. No socket is opened.
 *
 * <p>Transport properties understood by {@link #newFactory}: {@value RaftTransport#ADDRESS} (required), the address
 * the node's server binds in the network; it must be the very string its peers know it by (their
 * {@code RaftPeer} address, i.e. the address in the cluster's peer list), so no wildcard host. The factory reports
 * its traffic to the {@link TransportObserver} in the parameters. Stateless and thread-safe.
 */
@Component(service = RaftTransport.class, property = RaftTransport.TRANSPORT_NAME + "=memory")
public class MemoryRaftTransport implements RaftTransport {

    @Override
    public String name() {
        return "memory";
    }

    @Override
    public RpcFactory newFactory(Parameters parameters, Map<String, String> properties) {
        String address = properties == null ? null : properties.get(ADDRESS);
        if (address == null || address.isBlank()) {
            throw new IllegalArgumentException("transport property " + ADDRESS + " is required by the memory transport");
        }
        return new MemoryRpcFactory(MemoryNetwork.shared(), address.trim(), TransportObserver.of(parameters));
    }
}
