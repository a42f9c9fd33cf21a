package io.chronik.transport.grpc.internal;

import java.util.Map;

import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.server.GrpcServices;
import org.apache.ratis.rpc.RpcFactory;
import org.osgi.service.component.annotations.Component;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.net.HostPort;
import io.chronik.ratis.rpc.RaftTransport;
import io.chronik.ratis.rpc.TransportObserver;

/**
 * The gRPC Raft transport: hands Ratis' {@code GrpcFactory} to the Ratis consensus provider.
 *
 * <p>Transport properties understood by {@link #newFactory}:
 * <ul>
 * <li>{@value RaftTransport#ADDRESS}: {@code host:port} the Raft gRPC server binds to (the node's {@code raft.addr}),
 * read by {@link HostPort#parseListen}: the host may be empty or {@code 0.0.0.0} to bind every interface. Without
 * it, Ratis' own {@code raft.grpc.server.*} properties apply.</li>
 * </ul>
 * The factory reports the Raft traffic it carries to the {@link TransportObserver} in the parameters, if any (see
 * {@link BoundGrpcFactory}), and its server reads AppendEntries requests on the event loop
 * ({@link InlineAppendEntries}); for both it sets Ratis' gRPC services customizer in the parameters (chaining one
 * already there). Stateless and thread-safe.
 */
@Component(service = RaftTransport.class, property = RaftTransport.TRANSPORT_NAME + "=grpc")
public class GrpcRaftTransport implements RaftTransport {
    private static final Logger LOG = LoggerFactory.getLogger(GrpcRaftTransport.class);

    @Override
    public String name() {
        return "grpc";
    }

    @Override
    public RpcFactory newFactory(Parameters parameters, Map<String, String> properties) {
        String text = properties == null ? null : properties.get(ADDRESS);
        HostPort address = null;
        if (text != null && !text.isBlank()) {
            try {
                address = HostPort.parseListen(text);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("transport property " + ADDRESS + " " + e.getMessage(), e);
            }
        }
        LOG.debug("creating gRPC transport factory for {}", address);
        GrpcConfigKeys.Server.setServicesCustomizer(parameters,
                customizer(GrpcConfigKeys.Server.servicesCustomizer(parameters), TransportObserver.of(parameters)));
        return new BoundGrpcFactory(parameters, address);
    }

    /**
     * The services customizer: {@link InlineAppendEntries}, then {@link ObservingServices} if there is an observer,
     * chaining {@code existing} without this transport's own customizers (the parameters were given to a transport
     * before: customize once).
     */
    static GrpcServices.Customizer customizer(GrpcServices.Customizer existing, TransportObserver observer) {
        while (existing instanceof ObservingServices || existing instanceof InlineAppendEntries) {
            existing = existing instanceof ObservingServices o ? o.next() : ((InlineAppendEntries) existing).next();
        }
        GrpcServices.Customizer c = new InlineAppendEntries(existing);
        return observer == TransportObserver.NONE ? c : new ObservingServices(c, observer);
    }
}
