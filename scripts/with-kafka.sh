# Sourced by the scripts that need a real Kafka: start_kafka NAME starts one
# broker with scripts/kafka.sh, waits for its bootstrap.servers line and stores
# the address in the variable NAME; stop_kafka stops it (also on exit).
kafka_pid=""
stop_kafka() {
  [ -z "$kafka_pid" ] || { kill -TERM "$kafka_pid" 2>/dev/null; wait "$kafka_pid" 2>/dev/null || true; }
  kafka_pid=""
}
trap stop_kafka EXIT
start_kafka() {
  local out address
  out=$(mktemp)
  "$(dirname "${BASH_SOURCE[0]}")/kafka.sh" >"$out" 2>&1 &
  kafka_pid=$!
  for _ in $(seq 600); do
    grep -q '^bootstrap.servers=' "$out" && break
    kill -0 "$kafka_pid" 2>/dev/null || break
    sleep 0.2
  done
  address=$(sed -n 's/^bootstrap.servers=//p' "$out")
  [ -n "$address" ] || { echo "$0: the Kafka broker did not start:" >&2; cat "$out" >&2; exit 1; }
  rm -f "$out"
  printf -v "$1" '%s' "$address"
}
