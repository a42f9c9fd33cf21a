package io.chronik.raft.internal;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Small helpers for the binary encodings of entries and snapshots. */
final class Codec {
    private Codec() {
    }

    static void writeNullableString(DataOutput out, String s) throws IOException {
        out.writeBoolean(s != null);
        if (s != null) {
            out.writeUTF(s);
        }
    }

    static String readNullableString(DataInput in) throws IOException {
        return in.readBoolean() ? in.readUTF() : null;
    }

    static void writeMap(DataOutput out, Map<String, String> map) throws IOException {
        out.writeInt(map.size());
        for (Map.Entry<String, String> e : map.entrySet()) {
            out.writeUTF(e.getKey());
            out.writeUTF(e.getValue());
        }
    }

    static Map<String, String> readMap(DataInput in) throws IOException {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = in.readInt(); i > 0; i--) {
            map.put(in.readUTF(), in.readUTF());
        }
        return map;
    }

    static void writeSet(DataOutput out, Set<String> set) throws IOException {
        out.writeInt(set.size());
        for (String s : set) {
            out.writeUTF(s);
        }
    }

    static Set<String> readSet(DataInput in) throws IOException {
        Set<String> set = new LinkedHashSet<>();
        for (int i = in.readInt(); i > 0; i--) {
            set.add(in.readUTF());
        }
        return set;
    }

    /** A replica assignment: the partition count, then each partition's replica count and node ids. */
    static void writeAssignment(DataOutput out, List<List<Integer>> assignment) throws IOException {
        out.writeInt(assignment.size());
        for (List<Integer> replicas : assignment) {
            out.writeInt(replicas.size());
            for (Integer r : replicas) {
                out.writeInt(r);
            }
        }
    }

    static List<List<Integer>> readAssignment(DataInput in) throws IOException {
        List<List<Integer>> assignment = new ArrayList<>();
        for (int p = in.readInt(); p > 0; p--) {
            List<Integer> replicas = new ArrayList<>();
            for (int r = in.readInt(); r > 0; r--) {
                replicas.add(in.readInt());
            }
            assignment.add(List.copyOf(replicas));
        }
        return List.copyOf(assignment);
    }
}
