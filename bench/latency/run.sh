#!/usr/bin/env bash
# Produce latency at a fixed rate, Chronik next to Apache Kafka 4.1 in one run (docs/PERFORMANCE.md, issue 15).
#   bench/latency/run.sh [RATE] [RECORDS] [RECORD_SIZE] [PARTITIONS]     (defaults 50000 1000000 100 3)
# Starts a single Chronik node and a single Kafka broker, then a 3-node Chronik cluster and a 3-broker Kafka cluster
# (RF=3, min.insync.replicas=2), all on defaults (Chronik's flush policy as shipped), and runs the stock
# ProducerPerformance with --throughput RATE and acks=all against each, alternating (Kafka, Chronik, Kafka, Chronik).
# Prints one line per run: setup, broker, the tool's rate, and its avg/p50/p95/p99/p99.9/max latency in ms.
# MODE=single or MODE=cluster runs only one half; CHRONIK_ARGS adds options to Chronik's start (e.g. --flush-policy os).
# Needs `mvn -B -DskipTests package` and Kafka 4.1.1's jars in
# ~/.cache/kafka-baseline/lib (../shared/bench/compare.sh fetches them). Ports: Chronik 39392-39396, 39701-39703,
# 39401-39403; Kafka 19092-19093 (single) and 19192-19194/19292-19294 (cluster), as compare.sh and compare-cluster.sh.
set -u
RATE=${1:-50000}; RECORDS=${2:-1000000}; SIZE=${3:-100}; PARTS=${4:-3}; MODE=${MODE:-both}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CHRONIK="${CHRONIK:-$ROOT/distribution/target/chronik/bin/chronik}"
CP="${KAFKA_BASELINE_DIR:-$HOME/.cache/kafka-baseline}/lib/*"
W=$(mktemp -d); PIDS=()
stop_all() { for p in "${PIDS[@]}"; do kill $p 2>/dev/null; done; wait 2>/dev/null; PIDS=(); }
trap 'stop_all; rm -rf "$W"' EXIT
printf 'Configuration:\n  Loggers:\n    Root:\n      level: ERROR\n' > "$W/log4j2.yaml"
wait_port() { for i in $(seq 1 90); do (echo > /dev/tcp/127.0.0.1/$1) 2>/dev/null && return; sleep 1; done; }

kafka() { # kafka NAME NODE_ID VOTERS PORT CONTROLLER_PORT RF
  cat > "$W/$1.properties" <<P
process.roles=broker,controller
node.id=$2
controller.quorum.voters=$3
listeners=PLAINTEXT://127.0.0.1:$4,CONTROLLER://127.0.0.1:$5
advertised.listeners=PLAINTEXT://127.0.0.1:$4
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$W/$1-data
offsets.topic.replication.factor=$6
transaction.state.log.replication.factor=$6
min.insync.replicas=$([ "$6" = 3 ] && echo 2 || echo 1)
group.initial.rebalance.delay.ms=0
P
  java -cp "$CP" kafka.tools.StorageTool format -t "$CID" -c "$W/$1.properties" >/dev/null 2>&1
  java -Xmx1g -Dlog4j2.configurationFile="$W/log4j2.yaml" -cp "$CP" kafka.Kafka "$W/$1.properties" > "$W/$1.log" 2>&1 &
  PIDS+=($!)
}
chronik() { # chronik NODE_ID PEERS (empty: single node)
  local n=$1
  "$CHRONIK" start --node-id $n ${2:+--peers $2} --raft-addr 127.0.0.1:3970$n \
      --kafka-addr 127.0.0.1:$((39390 + 2 * n)) --advertised-addr 127.0.0.1:$((39390 + 2 * n)) \
      --metrics-addr 127.0.0.1:3940$n --data-dir "$W/chronik-data$n" ${CHRONIK_ARGS:-} > "$W/chronik$n.log" 2>&1 &
  PIDS+=($!)
}
topic() { # topic BOOTSTRAP NAME RF: retried until every broker is up (a fresh Kafka cluster refuses RF 3 at first)
  local out
  for i in $(seq 1 60); do
    out=$(java -cp "$CP" org.apache.kafka.tools.TopicCommand --bootstrap-server "$1" --create --topic "$2" \
          --partitions "$PARTS" --replication-factor "$3" 2>&1 | grep -v -e log4j -e SLF4J)
    case "$out" in *"Created topic"*) echo "$out" >&2; return 0;; esac
    sleep 1
  done
  echo "creating $2 on $1 failed: $out" >&2; exit 1
}
run() { # run SETUP BROKER BOOTSTRAP TOPIC
  java -cp "$CP" org.apache.kafka.tools.ProducerPerformance --topic "$4" --num-records "$RECORDS" --record-size "$SIZE" \
      --throughput "$RATE" --producer-props bootstrap.servers="$3" acks=all 2>&1 | grep -v -e log4j -e SLF4J | tail -1 |
    sed -n 's/.* records sent, \([0-9.]*\) records\/sec.*, \([0-9.]*\) ms avg latency, \([0-9.]*\) ms max latency, \([0-9]*\) ms 50th, \([0-9]*\) ms 95th, \([0-9]*\) ms 99th, \([0-9]*\) ms 99.9th.*/\1 \2 \4 \5 \6 \7 \3/p' |
    awk -v s="$1" -v b="$2" '{ printf "%-8s %-7s rate=%.0f avg=%.2f p50=%s p95=%s p99=%s p99.9=%s max=%.0f\n", s, b, $1, $2, $3, $4, $5, $6, $7 }'
}
pair() { # pair SETUP KAFKA_BOOTSTRAP CHRONIK_BOOTSTRAP RF
  local t=latency-$RANDOM
  topic "$2" $t "$4"; topic "$3" $t "$4"; sleep 3
  for round in 1 2; do run "$1" kafka "$2" $t; run "$1" chronik "$3" $t; done
}
CID=$(java -cp "$CP" kafka.tools.StorageTool random-uuid 2>/dev/null)
if [ "$MODE" != cluster ]; then
  kafka k1 1 1@127.0.0.1:19093 19092 19093 1; chronik 1 ""
  wait_port 19092; wait_port 39392; sleep 10
  pair single 127.0.0.1:19092 127.0.0.1:39392 1
  stop_all
fi
if [ "$MODE" != single ]; then
  CID=$(java -cp "$CP" kafka.tools.StorageTool random-uuid 2>/dev/null)
  for i in 1 2 3; do kafka kc$i $i 1@127.0.0.1:19292,2@127.0.0.1:19293,3@127.0.0.1:19294 $((19191 + i)) $((19291 + i)) 3; done
  for n in 1 2 3; do chronik $n 1@127.0.0.1:39701,2@127.0.0.1:39702,3@127.0.0.1:39703; done
  for p in 19192 19193 19194 39392 39394 39396; do wait_port $p; done; sleep 15
  pair 3-node 127.0.0.1:19192,127.0.0.1:19193,127.0.0.1:19194 127.0.0.1:39392,127.0.0.1:39394,127.0.0.1:39396 3
fi
