import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;

/**
 * Part of the many-partitions benchmark (bench/cluster-scale/run.sh): after a node restarts, polls the cluster until
 * every partition of every topic has a leader and all its replicas in its ISR (as Metadata reports them), and prints
 * how long that took and how many partitions were checked.
 * {@code java -cp "$HOME/.cache/kafka-baseline/lib/*" AwaitFullIsr.java BOOTSTRAP [TIMEOUT_S]}; exit code 1 on timeout.
 */
public class AwaitFullIsr {
    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        long timeoutMs = 1000L * (args.length > 1 ? Integer.parseInt(args[1]) : 300);
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "30000");
        long start = System.nanoTime();
        long deadline = System.currentTimeMillis() + timeoutMs;
        int partitions = 0;
        int behind = -1;
        try (Admin admin = Admin.create(p)) {
            while (System.currentTimeMillis() < deadline) {
                try {
                    Set<String> names = admin.listTopics().names().get(30, TimeUnit.SECONDS);
                    partitions = 0;
                    behind = 0;
                    for (TopicDescription d : admin.describeTopics(names).allTopicNames().get(60, TimeUnit.SECONDS)
                            .values()) {
                        for (TopicPartitionInfo tp : d.partitions()) {
                            partitions++;
                            if (tp.leader() == null || tp.isr().size() < tp.replicas().size()) {
                                behind++;
                            }
                        }
                    }
                    if (behind == 0 && partitions > 0) {
                        break;
                    }
                } catch (Exception e) {
                    behind = -1; // a node still starting: ask again
                }
                Thread.sleep(500);
            }
        }
        System.out.printf("full_isr partitions=%d behind=%d seconds=%.2f%n", partitions, behind,
                (System.nanoTime() - start) / 1e9);
        System.exit(behind == 0 ? 0 : 1);
    }
}
