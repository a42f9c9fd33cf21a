#!/usr/bin/env bash
# Where a throughput run's CPU goes, Chronik next to Apache Kafka 4.1 (docs/PERFORMANCE.md, issue 15).
#   bench/cpu-budget/run.sh [ROUNDS] [RECORDS] [RECORD_SIZE] [PARTITIONS]      (defaults 3 1000000 100 3)
# MODE=single (default): one Chronik node and one Kafka broker, acks=1, as ../shared/bench/compare.sh runs them.
# MODE=cluster: three Chronik nodes and three Kafka brokers, RF 3, acks=all, as ../shared/bench/compare-cluster.sh.
# Both on defaults (Chronik's flush policy as shipped). Runs the stock ProducerPerformance and ConsumerPerformance
# with the compare scripts' settings, alternating (Kafka, Chronik) for ROUNDS rounds, and prints one line per run:
# the tool's rate, and per million records the CPU seconds of the tool's JVM (its start included), of the brokers
# under test (all of them in a cluster), and of the machine left idle, plus the wall time. All processes share the
# machine's cores, so a side's rate is about cores / (tool + brokers + idle) per record: how far one broker can
# pull ahead of another is bounded by the CPU the tool needs for itself.
# PROFILER=/path/to/libasyncProfiler.so writes a CPU profile of each Chronik produce run (of its first node) to
# PROFILE_DIR (default .). Needs `mvn -B -DskipTests package` and Kafka 4.1.1's jars in ~/.cache/kafka-baseline/lib
# (../shared/bench/compare.sh fetches them). Ports: Chronik 39392-39396, 39701-39703, 39401-39403; Kafka 19092-19093
# (single) or 19192-19194 / 19292-19294 (cluster).
set -u
ROUNDS=${1:-3}; RECORDS=${2:-1000000}; SIZE=${3:-100}; PARTS=${4:-3}; MODE=${MODE:-single}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CHRONIK="${CHRONIK:-$ROOT/distribution/target/chronik/bin/chronik}"
CP="${KAFKA_BASELINE_DIR:-$HOME/.cache/kafka-baseline}/lib/*"
W=$(mktemp -d); PIDS=()
trap 'for p in "${PIDS[@]}"; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$W"' EXIT
printf 'Configuration:\n  Loggers:\n    Root:\n      level: ERROR\n' > "$W/log4j2.yaml"
wait_port() { for i in $(seq 1 90); do (echo > /dev/tcp/127.0.0.1/$1) 2>/dev/null && return; sleep 1; done; }
port_pid() { ss -ltnpH "sport = :$1" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1; }
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
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
P
  java -cp "$CP" kafka.tools.StorageTool format -t "$CID" -c "$W/$1.properties" >/dev/null 2>&1
  java -Xmx2g -Dlog4j2.configurationFile="$W/log4j2.yaml" -cp "$CP" kafka.Kafka "$W/$1.properties" > "$W/$1.log" 2>&1 &
  PIDS+=($!)
}
chronik() { # chronik NODE_ID PEERS (empty: single node)
  local n=$1
  "$CHRONIK" start --node-id $n ${2:+--peers $2} --raft-addr 127.0.0.1:3970$n \
      --kafka-addr 127.0.0.1:$((39390 + 2 * n)) --advertised-addr 127.0.0.1:$((39390 + 2 * n)) \
      --metrics-addr 127.0.0.1:3940$n --data-dir "$W/chronik-data$n" > "$W/chronik$n.log" 2>&1 &
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
CID=$(java -cp "$CP" kafka.tools.StorageTool random-uuid 2>/dev/null)
if [ "$MODE" = cluster ]; then
  for i in 1 2 3; do kafka kc$i $i 1@127.0.0.1:19292,2@127.0.0.1:19293,3@127.0.0.1:19294 $((19191 + i)) $((19291 + i)) 3; done
  for n in 1 2 3; do chronik $n 1@127.0.0.1:39701,2@127.0.0.1:39702,3@127.0.0.1:39703; done
  KB=127.0.0.1:19192,127.0.0.1:19193,127.0.0.1:19194; CB=127.0.0.1:39392,127.0.0.1:39394,127.0.0.1:39396
  KPORTS="19192 19193 19194"; CPORTS="39392 39394 39396"; RF=3; ACKS=all
else
  kafka k1 1 1@127.0.0.1:19093 19092 19093 1; chronik 1 ""
  KB=127.0.0.1:19092; CB=127.0.0.1:39392; KPORTS=19092; CPORTS=39392; RF=1; ACKS=1
fi
for p in $KPORTS $CPORTS; do wait_port $p; done; sleep 10
KPIDS=$(for p in $KPORTS; do port_pid $p; done); CPIDS=$(for p in $CPORTS; do port_pid $p; done)
T=budget-$RANDOM
topic "$KB" $T $RF; topic "$CB" $T $RF; sleep 3
ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{print $14+$15}' "/proc/$p/stat"))); done; echo $t; }
idle() { awk '/^cpu /{print $5+$6}' /proc/stat; }
HZ=$(getconf CLK_TCK)
# measure KIND SIDE "PIDS" N CMD...: runs CMD (a perf tool), prints its rate and CPU seconds per million records
measure() {
  local kind=$1 side=$2 pids=$3 n=$4; shift 4
  local b0 i0 t0 t1 tool rate
  b0=$(ticks $pids); i0=$(idle); t0=$(date +%s.%N)
  { TIMEFORMAT='%U %S'; time "$@" > "$W/out" 2>/dev/null; } 2> "$W/time"
  t1=$(date +%s.%N)
  tool=$(awk '{print $1+$2}' "$W/time" | tail -1)
  if [ "$kind" = produce ]; then rate=$(sed -n 's/.* records sent, \([0-9.]*\) records\/sec.*/\1/p' "$W/out" | tail -1)
  else rate=$(grep -v -e log4j -e SLF4J "$W/out" | tail -1 | awk -F', *' 'NF>=10 {print $10}'); fi
  awk -v k="$kind" -v s="$side" -v r="${rate:-0}" -v n="$n" -v tool="$tool" -v bc=$(( $(ticks $pids) - b0 )) \
      -v ic=$(( $(idle) - i0 )) -v hz="$HZ" -v w="$(echo "$t1 - $t0" | bc)" 'BEGIN { m = n / 1000000;
      printf "%-7s %-7s rate=%.0f tool_cpu_s_per_M=%.2f broker_cpu_s_per_M=%.2f idle_s_per_M=%.2f wall_s=%.2f\n",
             k, s, r, tool / m, bc / hz / m, ic / hz / m, w }'
}
NPROF=0
profiled() { # profiled SIDE CMD...: CMD under async-profiler on Chronik's first node when PROFILER is set
  local first=${CPIDS%% *}
  if [ -n "${PROFILER:-}" ] && [ "$1" = chronik ]; then
    jcmd "$first" JVMTI.agent_load "$PROFILER" '"start,event=cpu,interval=1000000,threads"' > /dev/null
    "${@:2}"
    NPROF=$((NPROF + 1))
    jcmd "$first" JVMTI.agent_load "$PROFILER" "\"stop,file=${PROFILE_DIR:-.}/produce-$NPROF.collapsed,collapsed\"" > /dev/null
  else "${@:2}"; fi
}
prod() { # prod SIDE "PIDS" BOOTSTRAP
  profiled "$1" measure produce "$1" "$2" "$RECORDS" java -cp "$CP" org.apache.kafka.tools.ProducerPerformance \
      --topic $T --num-records "$RECORDS" --record-size "$SIZE" --throughput -1 \
      --producer-props bootstrap.servers="$3" acks="$ACKS" linger.ms=5 batch.size=65536
}
cons() { # cons SIDE "PIDS" BOOTSTRAP N
  measure consume "$1" "$2" "$4" java -cp "$CP" org.apache.kafka.tools.ConsumerPerformance --bootstrap-server "$3" \
      --topic $T --messages "$4" --timeout 60000
}
for r in $(seq 1 "$ROUNDS"); do prod kafka "$KPIDS" "$KB"; prod chronik "$CPIDS" "$CB"; done
ALL=$((ROUNDS * RECORDS))
for r in $(seq 1 "$ROUNDS"); do cons kafka "$KPIDS" "$KB" $ALL; cons chronik "$CPIDS" "$CB" $ALL; done
