#!/usr/bin/env bash
# Follower-read benchmark (docs/PERFORMANCE.md, "Follower reads"): starts a 3-node cluster in racks r1/r2/r3 from
# distribution/target/chronik, then, on one run of that cluster:
#   1. read-your-writes latency: acknowledgement (acks=all) to the consumer's poll returning the record, for a
#      consumer in the leader's rack (reads from the leader) and one in a follower's rack (reads from the follower,
#      which runs a ReadIndex round first), COUNT records each, alternating leader/follower twice;
#   2. consume throughput of three consumers at once, each reading the whole topic, once with client.rack=r1/r2/r3
#      (each reads from its own rack's replica) and once without a rack (all read from the leaders), alternating;
#      on the 3-partition topic and on a 1-partition one (where reading from leaders puts all three on one node).
#   bench/follower-reads/run.sh [RECORDS] [COUNT]        (defaults 1000000 records of 100 B, 2000 latency samples)
# Needs `mvn -B -DskipTests package` first and Kafka 4.1.1's jars in ~/.cache/kafka-baseline/lib (see
# ../shared/bench/compare.sh, which fetches them). Uses ports 29092-29096 (Kafka), 29501-29503 (Raft), 29101-29103.
set -u
RECORDS=${1:-1000000}; COUNT=${2:-2000}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CHRONIK="$ROOT/distribution/target/chronik/bin/chronik"
CP="${KAFKA_BASELINE_DIR:-$HOME/.cache/kafka-baseline}/lib/*"
W=$(mktemp -d); PIDS=()
trap 'for p in "${PIDS[@]}"; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$W"' EXIT
PEERS=1@127.0.0.1:29501,2@127.0.0.1:29502,3@127.0.0.1:29503
B=127.0.0.1:29092,127.0.0.1:29094,127.0.0.1:29096
for n in 1 2 3; do
  "$CHRONIK" start --node-id $n --peers $PEERS --raft-addr 127.0.0.1:2950$n --rack r$n \
      --kafka-addr 127.0.0.1:$((29090 + 2 * n)) --advertised-addr 127.0.0.1:$((29090 + 2 * n)) \
      --metrics-addr 127.0.0.1:2910$n --data-dir "$W/data$n" > "$W/node$n.log" 2>&1 &
  PIDS+=($!)
done
tool() { java -cp "$CP" "$@" 2>&1 | grep -v -e log4j -e SLF4J; }
for i in $(seq 1 120); do
  n=$(tool org.apache.kafka.tools.BrokerApiVersionsCommand --bootstrap-server $B 2>/dev/null | grep -c '(id:')
  [ "$n" = 3 ] && break; sleep 1
done
T=fr-bench
T1=fr-bench-1
tool org.apache.kafka.tools.TopicCommand --bootstrap-server $B --create --topic $T --partitions 3 --replication-factor 3 >&2
tool org.apache.kafka.tools.TopicCommand --bootstrap-server $B --create --topic $T1 --partitions 1 --replication-factor 3 >&2
sleep 3
for t in $T $T1; do
  tool org.apache.kafka.tools.TopicCommand --bootstrap-server $B --describe --topic $t
  tool org.apache.kafka.tools.ProducerPerformance --topic $t --num-records "$RECORDS" --record-size 100 --throughput -1 \
      --producer-props bootstrap.servers=$B acks=all linger.ms=5 batch.size=65536 | tail -1
done

# latency on partition 0: its leader's rack reads from the leader, the next rack from a follower
LEADER=$(tool org.apache.kafka.tools.TopicCommand --bootstrap-server $B --describe --topic $T \
    | sed -n 's/.*Partition: 0[[:space:]]*Leader: \([0-9]*\).*/\1/p')
FOLLOWER_RACK=r$(( LEADER % 3 + 1 ))
echo "partition 0 leader: node $LEADER (rack r$LEADER); follower rack: $FOLLOWER_RACK"
for round in 1 2; do
  for rack in r$LEADER $FOLLOWER_RACK; do
    echo "--- latency round $round, consumer client.rack=$rack"
    java -cp "$CP" "$HERE/FollowerReadLatency.java" $B $T 0 "$COUNT" $rack 2>&1 | grep -v -e log4j -e SLF4J
  done
done

# throughput: three consumers at once, each its own group, reading all RECORDS records
cpu() { # CPU seconds (user + system) each node has used so far
  local p; for p in "${PIDS[@]}"; do awk -v t="$(getconf CLK_TCK)" '{ printf "%.2f ", ($14 + $15) / t }' /proc/$p/stat; done
}
three() { # $1: "racks" or "leaders", $2: topic
  local start end c cps=() cpu0
  cpu0=$(cpu)
  start=$(date +%s.%N)
  for n in 1 2 3; do
    c="$W/c$n.properties"; : > "$c"
    [ "$1" = racks ] && echo "client.rack=r$n" > "$c"
    tool org.apache.kafka.tools.ConsumerPerformance --bootstrap-server $B --topic "$2" --messages "$RECORDS" \
        --group "fr-$1-$n-$RANDOM" --consumer.config "$c" --timeout 60000 | tail -1 > "$W/out$n" &
    cps+=($!)
  done
  wait "${cps[@]}"
  end=$(date +%s.%N)
  cat "$W"/out1 "$W"/out2 "$W"/out3 >&2
  # wall clock over all three (JVM start and group join included), and the sum of the tools' own fetch rates
  # (fetch.nMsg.sec: records over the time spent fetching, after the group join)
  echo "$cpu0 $(cpu)" | awk '{ printf "node_cpu_s node1=%.2f node2=%.2f node3=%.2f\n", $4 - $1, $5 - $2, $6 - $3 }'
  cat "$W"/out1 "$W"/out2 "$W"/out3 | awk -F', *' -v s="$start" -v e="$end" -v r="$RECORDS" -v m="$1" -v t="$2" \
      '{ f += $10 } END { printf "three_consumers_%s topic=%s wall_s=%.2f wall_records_per_s=%.0f fetch_records_per_s=%.0f\n", m, t, e - s, 3 * r / (e - s), f }'
}
# the leaders as they are now (the leader balancer may have moved them since creation)
for t in $T $T1; do tool org.apache.kafka.tools.TopicCommand --bootstrap-server $B --describe --topic $t | grep Leader; done
for t in $T $T1; do for round in 1 2; do three leaders $t; three racks $t; done; done
for n in 1 2 3; do
  printf 'node %s follower fetch metrics: ' $n
  curl -s http://127.0.0.1:2910$n/metrics | grep -E '^chronik_(fetch_follower_partitions|raft_read_index_rounds)_total' \
      | tr '\n' ' '; echo
done
