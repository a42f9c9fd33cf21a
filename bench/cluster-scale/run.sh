#!/usr/bin/env bash
# Many-partitions benchmark (docs/PERFORMANCE.md, issue 15): starts a 3-node cluster from distribution/target/chronik,
# then ClusterScale.java creates TOPICS topics × PARTITIONS partitions (RF 3) through AdminClient, produces one
# record per partition (acks=all), times Metadata for all topics and reads every record back; afterwards this script
# prints each node's idle CPU (cores, over IDLE_S seconds) and resident memory; then it restarts node 2 (RESTART=term,
# the default; kill for SIGKILL; none to skip) and AwaitFullIsr.java times until every partition's ISR is full again.
#   bench/cluster-scale/run.sh [TOPICS] [PARTITIONS] [BATCH] [INFLIGHT]    (defaults 1000 3 200 4)
# Needs `mvn -B -DskipTests package` first and Kafka 4.1.1's jars in ~/.cache/kafka-baseline/lib (see
# ../shared/bench/compare.sh, which fetches them). Uses ports 39092-39096 (Kafka), 39501-39503 (Raft), 39101-39103.
# ClusterScale.java runs against any cluster too: java -cp "$HOME/.cache/kafka-baseline/lib/*" \
#   bench/cluster-scale/ClusterScale.java BOOTSTRAP TOPICS [PARTITIONS] [RF] [BATCH] [INFLIGHT]
set -u
. "$(dirname "$0")/measure.sh"
TOPICS=${1:-1000}; PARTITIONS=${2:-3}; BATCH=${3:-200}; INFLIGHT=${4:-4}; IDLE_S=${IDLE_S:-30}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CHRONIK="$ROOT/distribution/target/chronik/bin/chronik"
CP="${KAFKA_BASELINE_DIR:-$HOME/.cache/kafka-baseline}/lib/*"
W=$(mktemp -d); PIDS=()
trap 'for p in "${PIDS[@]}"; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$W"' EXIT
PEERS=1@127.0.0.1:39501,2@127.0.0.1:39502,3@127.0.0.1:39503
B=127.0.0.1:39092,127.0.0.1:39094,127.0.0.1:39096
start_node() {
  local n=$1
  "$CHRONIK" start --node-id $n --peers $PEERS --raft-addr 127.0.0.1:3950$n \
      --kafka-addr 127.0.0.1:$((39090 + 2 * n)) --advertised-addr 127.0.0.1:$((39090 + 2 * n)) \
      --metrics-addr 127.0.0.1:3910$n --data-dir "$W/data$n" >> "$W/node$n.log" 2>&1 &
}
for n in 1 2 3; do
  start_node $n; PIDS+=($!)
done
for i in $(seq 1 120); do
  n=$(java -cp "$CP" org.apache.kafka.tools.BrokerApiVersionsCommand --bootstrap-server $B 2>/dev/null | grep -c '(id:')
  [ "$n" = 3 ] && break; sleep 1
done
java -cp "$CP" "$HERE/ClusterScale.java" $B "$TOPICS" "$PARTITIONS" 3 "$BATCH" "$INFLIGHT" 2>&1 | grep -v -e log4j -e SLF4J
STATUS=${PIPESTATUS[0]}
measure_idle
restart_and_await_isr
exit $STATUS
