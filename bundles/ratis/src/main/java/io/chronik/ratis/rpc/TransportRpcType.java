package io.chronik.ratis.rpc;

import java.util.Objects;

import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.rpc.RpcFactory;
import org.apache.ratis.rpc.RpcType;

/**
 * The Ratis {@link RpcType} through which a transport living in another bundle plugs into Ratis.
 *
 * <p>Ratis picks its RPC by name ({@code raft.rpc.type}) and instantiates a user-defined type reflectively with
 * the class loader captured by {@code ReflectionUtils}; that loader is this bundle's (see {@link RatisContext}), so
 * the type has to live here. The transport bundle's {@link RaftTransport} service creates the {@link RpcFactory}
 * and the consensus provider stores it in the {@link Parameters} given to {@code RaftServer}/{@code RaftClient} under {@link #FACTORY_KEY};
 * {@link #newFactory} hands that object back to Ratis.
 *
 * <p>Use {@link #install} to do both steps.
 */
public final class TransportRpcType implements RpcType {

    /** The {@link Parameters} key holding the transport's {@link RpcFactory}. */
    public static final String FACTORY_KEY = "io.chronik.ratis.rpc.factory";

    /** Public no-argument constructor: Ratis instantiates this class by name. */
    public TransportRpcType() {
    }

    /**
     * Configures {@code properties} to use this RPC type and puts {@code factory} into {@code parameters}.
     */
    public static void install(RaftProperties properties, Parameters parameters, RpcFactory factory) {
        Objects.requireNonNull(factory, "factory");
        RaftConfigKeys.Rpc.setType(properties, new TransportRpcType());
        parameters.put(FACTORY_KEY, factory, RpcFactory.class);
    }

    @Override
    public String name() {
        return TransportRpcType.class.getName();
    }

    @Override
    public RpcFactory newFactory(Parameters parameters) {
        if (parameters == null) {
            throw new IllegalStateException("no Parameters given: the transport factory must be put under " + FACTORY_KEY);
        }
        return parameters.getNonNull(FACTORY_KEY, RpcFactory.class);
    }

    @Override
    public String toString() {
        return name();
    }
}
