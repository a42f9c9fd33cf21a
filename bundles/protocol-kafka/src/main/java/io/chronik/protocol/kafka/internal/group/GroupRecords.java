package io.chronik.protocol.kafka.internal.group;

import java.nio.ByteBuffer;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.protocol.types.ArrayOf;
import org.apache.kafka.common.protocol.types.Field;
import org.apache.kafka.common.protocol.types.Schema;
import org.apache.kafka.common.protocol.types.Struct;
import org.apache.kafka.common.protocol.types.Type;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.SimpleRecord;

/**
 * The records of {@code __consumer_offsets}, in Apache Kafka's own layout (a version-prefixed key and value), so
 * that Kafka's tools can read the topic: offset commits (key version 1: group, topic, partition; value version 3:
 * offset, leader epoch, metadata, commit time) and group metadata (key version 2: group; value version 3: protocol
 * type, generation, protocol, leader, state time, members). A record without a value (a tombstone) deletes its key.
 */
final class GroupRecords {
    static final short OFFSET_KEY_VERSION = 1;
    static final short GROUP_KEY_VERSION = 2;
    static final short OFFSET_VALUE_VERSION = 3;
    static final short GROUP_VALUE_VERSION = 3;

    private static final Schema OFFSET_KEY = new Schema(new Field("group", Type.STRING), new Field("topic", Type.STRING),
            new Field("partition", Type.INT32));
    private static final Schema GROUP_KEY = new Schema(new Field("group", Type.STRING));
    private static final Schema OFFSET_VALUE = new Schema(new Field("offset", Type.INT64), new Field("leader_epoch", Type.INT32),
            new Field("metadata", Type.STRING), new Field("commit_timestamp", Type.INT64));
    private static final Schema MEMBER_VALUE = new Schema(new Field("member_id", Type.STRING),
            new Field("group_instance_id", Type.NULLABLE_STRING), new Field("client_id", Type.STRING),
            new Field("client_host", Type.STRING), new Field("rebalance_timeout", Type.INT32),
            new Field("session_timeout", Type.INT32), new Field("subscription", Type.BYTES), new Field("assignment", Type.BYTES));
    private static final Schema GROUP_VALUE = new Schema(new Field("protocol_type", Type.STRING), new Field("generation", Type.INT32),
            new Field("protocol", Type.NULLABLE_STRING), new Field("leader", Type.NULLABLE_STRING),
            new Field("current_state_timestamp", Type.INT64), new Field("members", new ArrayOf(MEMBER_VALUE)));

    /** The key of a record: which state it sets. */
    sealed interface Key permits OffsetKey, GroupKey {
        String group();
    }

    record OffsetKey(String group, String topic, int partition) implements Key {
    }

    record GroupKey(String group) implements Key {
    }

    record OffsetValue(long offset, int leaderEpoch, String metadata, long commitTimestamp) {
    }

    record MemberValue(String memberId, String instanceId, String clientId, String clientHost, int rebalanceTimeoutMs,
            int sessionTimeoutMs, byte[] subscription, byte[] assignment) {
    }

    record GroupValue(String protocolType, int generation, String protocol, String leader, long stateTimestamp,
            List<MemberValue> members) {
    }

    /** Thrown for a record this broker does not know how to read. */
    static final class UnreadableRecordException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UnreadableRecordException(String message) {
            super(message);
        }
    }

    private GroupRecords() {
    }

    static byte[] key(Key key) {
        if (key instanceof OffsetKey k) {
            Struct s = new Struct(OFFSET_KEY).set("group", k.group()).set("topic", k.topic()).set("partition", k.partition());
            return write(OFFSET_KEY_VERSION, s);
        }
        GroupKey k = (GroupKey) key;
        return write(GROUP_KEY_VERSION, new Struct(GROUP_KEY).set("group", k.group()));
    }

    static Key readKey(ByteBuffer buffer) {
        short version = buffer.getShort();
        if (version == 0 || version == 1) {
            Struct s = OFFSET_KEY.read(buffer);
            return new OffsetKey(s.getString("group"), s.getString("topic"), s.getInt("partition"));
        }
        if (version == 2) {
            return new GroupKey(GROUP_KEY.read(buffer).getString("group"));
        }
        throw new UnreadableRecordException("unknown __consumer_offsets key version " + version);
    }

    static byte[] offsetValue(OffsetValue v) {
        Struct s = new Struct(OFFSET_VALUE).set("offset", v.offset()).set("leader_epoch", v.leaderEpoch())
                .set("metadata", v.metadata()).set("commit_timestamp", v.commitTimestamp());
        return write(OFFSET_VALUE_VERSION, s);
    }

    static OffsetValue readOffsetValue(ByteBuffer buffer) {
        Struct s = read(buffer, OFFSET_VALUE, OFFSET_VALUE_VERSION, "offset commit value");
        return new OffsetValue(s.getLong("offset"), s.getInt("leader_epoch"), s.getString("metadata"),
                s.getLong("commit_timestamp"));
    }

    static byte[] groupValue(GroupValue v) {
        Object[] members = new Object[v.members().size()];
        for (int i = 0; i < members.length; i++) {
            MemberValue m = v.members().get(i);
            members[i] = new Struct(MEMBER_VALUE).set("member_id", m.memberId()).set("group_instance_id", m.instanceId())
                    .set("client_id", m.clientId()).set("client_host", m.clientHost())
                    .set("rebalance_timeout", m.rebalanceTimeoutMs()).set("session_timeout", m.sessionTimeoutMs())
                    .set("subscription", ByteBuffer.wrap(m.subscription())).set("assignment", ByteBuffer.wrap(m.assignment()));
        }
        Struct s = new Struct(GROUP_VALUE).set("protocol_type", v.protocolType()).set("generation", v.generation())
                .set("protocol", v.protocol()).set("leader", v.leader()).set("current_state_timestamp", v.stateTimestamp())
                .set("members", members);
        return write(GROUP_VALUE_VERSION, s);
    }

    static GroupValue readGroupValue(ByteBuffer buffer) {
        Struct s = read(buffer, GROUP_VALUE, GROUP_VALUE_VERSION, "group metadata value");
        List<MemberValue> members = new ArrayList<>();
        for (Object o : s.getArray("members")) {
            Struct m = (Struct) o;
            members.add(new MemberValue(m.getString("member_id"), m.getString("group_instance_id"), m.getString("client_id"),
                    m.getString("client_host"), m.getInt("rebalance_timeout"), m.getInt("session_timeout"),
                    bytes(m.getBytes("subscription")), bytes(m.getBytes("assignment"))));
        }
        return new GroupValue(s.getString("protocol_type"), s.getInt("generation"), s.getString("protocol"),
                s.getString("leader"), s.getLong("current_state_timestamp"), members);
    }

    /** The record that deletes the committed offset of {@code group} for {@code tp}. */
    static Map.Entry<Key, byte[]> offsetTombstone(String group, TopicPartition tp) {
        return new AbstractMap.SimpleImmutableEntry<>(new OffsetKey(group, tp.topic(), tp.partition()), null);
    }

    /** One uncompressed magic-v2 batch holding {@code records} (key → value bytes; a null value is a tombstone). */
    static ByteBuffer batch(List<Map.Entry<Key, byte[]>> records, long timestamp) {
        SimpleRecord[] simple = new SimpleRecord[records.size()];
        for (int i = 0; i < simple.length; i++) {
            Map.Entry<Key, byte[]> r = records.get(i);
            simple[i] = new SimpleRecord(timestamp, key(r.getKey()), r.getValue());
        }
        return MemoryRecords.withRecords(Compression.NONE, simple).buffer();
    }

    /** Reads a value written by {@link #write}: its version, which must be {@code version}, then the struct. */
    private static Struct read(ByteBuffer buffer, Schema schema, short version, String what) {
        short found = buffer.getShort();
        if (found != version) {
            throw new UnreadableRecordException("unsupported " + what + " version " + found);
        }
        return schema.read(buffer);
    }

    private static byte[] write(short version, Struct s) {
        ByteBuffer b = ByteBuffer.allocate(2 + s.sizeOf());
        b.putShort(version);
        s.writeTo(b);
        return b.array();
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}
