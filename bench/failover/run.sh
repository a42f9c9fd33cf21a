#!/usr/bin/env bash
# Failover benchmark (docs/PERFORMANCE.md, "Failover time (issue 15)"): starts a 3-node cluster from
# distribution/target/chronik, then Failover.java produces continuously (acks=all, the Java client's default settings,
# one record every INTERVAL_MS) to a one-partition RF 3 topic and KILLS times SIGKILLs the partition's leader's JVM,
# printing the time from the kill to the first acknowledged write sent after it; this script restarts the killed node
# (same data directory) when the program prints `RESTART <id>`, and the program waits until it is back in the ISR.
# At the end the program reads the topic back and prints lost=<acknowledged records missing> (must be 0).
#   bench/failover/run.sh [KILLS] [INTERVAL_MS]    (defaults 10 5)
# Needs `mvn -B -DskipTests package` first and Kafka 4.1.1's jars in ~/.cache/kafka-baseline/lib (see
# ../shared/bench/compare.sh, which fetches them). Uses ports 39292-39296 (Kafka), 39601-39603 (Raft), 39201-39203
# (metrics). KEEP=1 keeps the work directory (node logs) and prints its path. Node logs: $W/node<id>.log (a restart
# appends to it). Diagnostics: JAVA_OPTS reaches the brokers (-Dorg.slf4j.simpleLogger.log.org.apache.ratis=info shows
# Ratis' elections), CLIENT_OPTS the benchmark's JVM (-Dlog4j.configuration=file:... for the client's logs in
# $W/client.log). CHRONIK=<path to bin/chronik> runs another build.
set -u
KILLS=${1:-10}; INTERVAL_MS=${2:-5}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CHRONIK=${CHRONIK:-$ROOT/distribution/target/chronik/bin/chronik}
CP="${KAFKA_BASELINE_DIR:-$HOME/.cache/kafka-baseline}/lib/*"
W=$(mktemp -d)
cleanup() {
  local f
  for f in "$W"/node*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
  sleep 1
  for f in "$W"/node*.pid; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null; done
  if [ "${KEEP:-0}" = 1 ]; then echo "work directory kept: $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
PEERS=1@127.0.0.1:39601,2@127.0.0.1:39602,3@127.0.0.1:39603
B=127.0.0.1:39292,127.0.0.1:39294,127.0.0.1:39296
# the launcher execs the JVM, so $! is the broker's JVM: the pid file names the process to SIGKILL
start_node() {
  local n=$1
  [ -f "$W/node$n.pid" ] && kill -9 "$(cat "$W/node$n.pid")" 2>/dev/null # a restart that did not come up
  "$CHRONIK" start --node-id "$n" --peers $PEERS --raft-addr 127.0.0.1:3960"$n" \
      --kafka-addr 127.0.0.1:$((39290 + 2 * n)) --advertised-addr 127.0.0.1:$((39290 + 2 * n)) \
      --metrics-addr 127.0.0.1:3920"$n" --data-dir "$W/data$n" >> "$W/node$n.log" 2>&1 &
  echo $! > "$W/node$n.pid"
  disown $! # no "Killed" notices from the shell
}
for n in 1 2 3; do start_node $n; done
for i in $(seq 1 120); do
  n=$(java -cp "$CP" org.apache.kafka.tools.BrokerApiVersionsCommand --bootstrap-server $B 2>/dev/null | grep -c '(id:')
  [ "$n" = 3 ] && break; sleep 1
done
java ${CLIENT_OPTS:-} -cp "$CP" "$HERE/Failover.java" $B "$W" "$KILLS" "$INTERVAL_MS" 2> "$W/client.log" | while IFS= read -r line; do
  case "$line" in
    RESTART\ *) n=${line#RESTART }; echo "--- $(date -u +%T.%N | cut -c1-12) UTC kill of node $n logged; restarting it" >> "$W/node$n.log"
                start_node "$n" ;;
    *) echo "$line" ;;
  esac
done
STATUS=${PIPESTATUS[0]}
grep -v -e log4j -e SLF4J "$W/client.log" | tail -n 20 >&2
exit $STATUS
