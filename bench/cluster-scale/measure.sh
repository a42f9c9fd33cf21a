# Shared by run.sh and kafka.sh (bench/cluster-scale): the measurements after ClusterScale.java. The caller sets
# PIDS (the three nodes in order; the launcher execs the JVM, so $! is the broker's JVM), CP (Kafka's client jars),
# B (the bootstrap list), HERE, IDLE_S and STATUS, and defines start_node N, which starts node N again (its pid in $!).
cpu() { local p; for p in "${PIDS[@]}"; do awk -v t="$(getconf CLK_TCK)" '{ printf "%.2f ", ($14 + $15) / t }' /proc/$p/stat; done; }
rss() { local p; for p in "${PIDS[@]}"; do awk '/VmRSS/ { printf "%.0f ", $2 / 1024 }' /proc/$p/status; done; }
# prints each node's CPU over IDLE_S idle seconds and its resident memory
measure_idle() {
  local c0 c1
  c0=$(cpu); sleep "$IDLE_S"; c1=$(cpu)
  echo "$c0 $c1" | awk -v s="$IDLE_S" '{ printf "idle_cpu_cores node1=%.3f node2=%.3f node3=%.3f\n", ($4-$1)/s, ($5-$2)/s, ($6-$3)/s }'
  echo "rss_mib $(rss)"
}
# stops node 2 (RESTART=term: SIGTERM, as an operator restarts it; kill: SIGKILL, a crash; none: skip), starts it
# again and times until every partition has all its replicas in its ISR; sets STATUS=1 if that does not happen
restart_and_await_isr() {
  [ "${RESTART:-term}" = none ] && return
  local sig t0
  sig=$([ "${RESTART:-term}" = kill ] && echo KILL || echo TERM)
  t0=$(date +%s.%N); kill -$sig "${PIDS[1]}"; wait "${PIDS[1]}" 2>/dev/null
  echo "restart_stopped signal=$sig seconds=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')"
  start_node 2; PIDS[1]=$!
  java -cp "$CP" "$HERE/AwaitFullIsr.java" "$B" 600 2>&1 | grep -v -e log4j -e SLF4J
  [ "${PIPESTATUS[0]}" = 0 ] || STATUS=1
}
