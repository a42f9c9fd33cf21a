package io.chronik.launcher;

import java.util.List;
import java.util.stream.Collectors;

import io.chronik.launcher.ClusterHealth.Broker;
import io.chronik.launcher.ClusterHealth.Partition;
import io.chronik.launcher.ClusterHealth.Report;

/**
 * {@code chronik cluster health}'s output: {@link #text} for people (partition lists capped, with their count) and
 * {@link #json} for scripts (every list complete). Pure functions of the {@link Report}.
 */
final class HealthReportFormat {
    private HealthReportFormat() {
    }

    /**
     * The report as lines of text, the first being {@code health: healthy} or {@code health: unhealthy (<problems>)};
     * each partition list shows at most {@code cap} entries and then how many more there are.
     */
    static String text(Report r, int cap) {
        StringBuilder sb = new StringBuilder();
        sb.append("health: ").append(r.healthy() ? "healthy" : "unhealthy (" + String.join(", ", r.problems()) + ")")
                .append('\n');
        sb.append("cluster id: ").append(r.state().clusterId()).append('\n');
        sb.append("controller: ").append(r.state().controller() < 0 ? "none" : r.state().controller()).append('\n');
        List<Broker> brokers = r.state().brokers();
        int fenced = r.fenced().size();
        sb.append("brokers: ").append(brokers.size()).append(" (").append(brokers.size() - fenced).append(" alive, ")
                .append(fenced).append(" fenced)\n");
        for (Broker b : brokers) {
            sb.append(String.format("  %-4d %-24s %-7s rack %s%n", b.id(), b.host() + ":" + b.port(),
                    b.fenced() ? "fenced" : "alive", b.rack() == null ? "-" : b.rack()));
        }
        int led = r.leadersPerBroker().values().stream().mapToInt(Integer::intValue).sum();
        sb.append("partitions: ").append(r.state().partitions().size()).append(", ").append(led).append(" led; leaders per broker: ")
                .append(r.leadersPerBroker().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                        .collect(Collectors.joining(" ")))
                .append('\n');
        list(sb, "not led by their preferred replica", r.notPreferred(), cap,
                p -> "leader " + p.leader() + ", preferred " + p.preferred());
        list(sb, "under-replicated partitions", r.underReplicated(), cap,
                p -> "leader " + p.leader() + "  replicas " + p.replicas() + "  isr " + p.isr());
        list(sb, "offline partitions", r.offline(), cap,
                p -> "leader " + (p.leader() < 0 ? "none" : p.leader() + " (not live)") + "  replicas " + p.replicas()
                        + "  isr " + p.isr());
        return sb.toString();
    }

    private static void list(StringBuilder sb, String title, List<Partition> partitions, int cap,
                             java.util.function.Function<Partition, String> detail) {
        sb.append(title).append(": ").append(partitions.size()).append('\n');
        int width = partitions.stream().limit(cap).mapToInt(p -> p.name().length()).max().orElse(0);
        for (Partition p : partitions.subList(0, Math.min(cap, partitions.size()))) {
            sb.append("  ").append(String.format("%-" + width + "s", p.name())).append("  ").append(detail.apply(p))
                    .append('\n');
        }
        if (partitions.size() > cap) {
            sb.append("  ... and ").append(partitions.size() - cap).append(" more\n");
        }
    }

    /** The report as one JSON object (a line), every list complete; see docs/operations.md for its fields. */
    static String json(Report r) {
        StringBuilder sb = new StringBuilder("{");
        sb.append("\"healthy\":").append(r.healthy());
        sb.append(",\"problems\":[").append(r.problems().stream().map(HealthReportFormat::string)
                .collect(Collectors.joining(","))).append(']');
        sb.append(",\"clusterId\":").append(string(r.state().clusterId()));
        sb.append(",\"controller\":").append(r.state().controller());
        sb.append(",\"brokers\":[").append(r.state().brokers().stream().map(b -> "{\"id\":" + b.id() + ",\"host\":"
                + string(b.host()) + ",\"port\":" + b.port() + ",\"rack\":" + (b.rack() == null ? "null" : string(b.rack()))
                + ",\"fenced\":" + b.fenced() + "}").collect(Collectors.joining(","))).append(']');
        sb.append(",\"partitions\":").append(r.state().partitions().size());
        sb.append(",\"leadersPerBroker\":{").append(r.leadersPerBroker().entrySet().stream()
                .map(e -> string(Integer.toString(e.getKey())) + ":" + e.getValue()).collect(Collectors.joining(",")))
                .append('}');
        sb.append(",\"notPreferredLeader\":").append(partitions(r.notPreferred()));
        sb.append(",\"underReplicated\":").append(partitions(r.underReplicated()));
        sb.append(",\"offline\":").append(partitions(r.offline()));
        return sb.append("}\n").toString();
    }

    private static String partitions(List<Partition> partitions) {
        return partitions.stream().map(p -> "{\"topic\":" + string(p.topic()) + ",\"partition\":" + p.partition()
                + ",\"leader\":" + p.leader() + ",\"replicas\":" + p.replicas().toString().replace(" ", "")
                + ",\"isr\":" + p.isr().toString().replace(" ", "") + "}").collect(Collectors.joining(",", "[", "]"));
    }

    /** A JSON string literal. */
    static String string(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
