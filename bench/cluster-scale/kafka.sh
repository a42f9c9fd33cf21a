#!/usr/bin/env bash
# The many-partitions benchmark against Apache Kafka 4.1 (docs/PERFORMANCE.md, issue 15): starts a 3-broker Kafka
# (KRaft, combined broker+controller, min.insync.replicas=2, -Xmx1g each, as ../shared/bench/compare-cluster.sh
# does) on loopback, runs ClusterScale.java against it with the same arguments as run.sh, then prints each broker's
# idle CPU (cores, over IDLE_S seconds) and resident memory, restarts broker 2 (SIGTERM; RESTART=kill for SIGKILL,
# none to skip) and times until every partition's ISR is full again.
#   bench/cluster-scale/kafka.sh [TOPICS] [PARTITIONS] [BATCH] [INFLIGHT]    (defaults 1000 3 200 4)
# Needs Kafka 4.1.1's jars in ~/.cache/kafka-baseline/lib (../shared/bench/compare.sh fetches them). Ports 19192-19194
# (Kafka) and 19292-19294 (controllers), the ones compare-cluster.sh uses: do not run both at once.
set -u
. "$(dirname "$0")/measure.sh"
TOPICS=${1:-1000}; PARTITIONS=${2:-3}; BATCH=${3:-200}; INFLIGHT=${4:-4}; IDLE_S=${IDLE_S:-30}
HERE=$(cd "$(dirname "$0")" && pwd)
CP="${KAFKA_BASELINE_DIR:-$HOME/.cache/kafka-baseline}/lib/*"
W=$(mktemp -d); PIDS=()
trap 'for p in "${PIDS[@]}"; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$W"' EXIT
printf 'Configuration:\n  Loggers:\n    Root:\n      level: ERROR\n' > "$W/log4j2.yaml"
VOTERS="1@127.0.0.1:19292,2@127.0.0.1:19293,3@127.0.0.1:19294"
CID=$(java -cp "$CP" kafka.tools.StorageTool random-uuid 2>/dev/null)
start_node() {
  java -Xmx1g -Dlog4j2.configurationFile="$W/log4j2.yaml" -cp "$CP" kafka.Kafka "$W/s$1.properties" >> "$W/k$1.log" 2>&1 &
}
for i in 1 2 3; do
  cat > "$W/s$i.properties" <<P
process.roles=broker,controller
node.id=$i
controller.quorum.voters=$VOTERS
listeners=PLAINTEXT://127.0.0.1:$((19191+i)),CONTROLLER://127.0.0.1:$((19291+i))
advertised.listeners=PLAINTEXT://127.0.0.1:$((19191+i))
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$W/data$i
offsets.topic.replication.factor=3
min.insync.replicas=2
group.initial.rebalance.delay.ms=0
P
  java -cp "$CP" kafka.tools.StorageTool format -t "$CID" -c "$W/s$i.properties" >/dev/null 2>&1
  start_node $i; PIDS+=($!)
done
for p in 19192 19193 19194; do for i in $(seq 1 90); do (echo > /dev/tcp/127.0.0.1/$p) 2>/dev/null && break; sleep 1; done; done
B=127.0.0.1:19192,127.0.0.1:19193,127.0.0.1:19194
sleep 5
java -cp "$CP" "$HERE/ClusterScale.java" $B "$TOPICS" "$PARTITIONS" 3 "$BATCH" "$INFLIGHT" 2>&1 | grep -v -e log4j -e SLF4J
STATUS=${PIPESTATUS[0]}
measure_idle
restart_and_await_isr
exit $STATUS
