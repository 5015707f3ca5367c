#!/usr/bin/env bash
# Installs what brook needs, builds the apps and runs the running-totals demo end
# to end: the sales generator and brook-running-totals printing its live totals
# table; when the generator is done, it checks that every purchase was counted
# exactly once and stops.
#   scripts/demo.sh               on the embedded Kafka (brook-kafka): no set-up
#   scripts/demo.sh --real-kafka  on a real Apache Kafka that scripts/kafka.sh
#                                 fetches (Java 17 + Maven) and starts
#   DEMO_PURCHASES  purchases to generate (default 20000)
#   DEMO_RATE       purchases per second (default 2000)
set -euo pipefail
cd "$(dirname "$0")/.."
REAL=false
case "${1:-}" in
  --real-kafka) REAL=true ;;
  "") ;;
  *) echo "usage: scripts/demo.sh [--real-kafka]" >&2; exit 2 ;;
esac

scripts/install-deps.sh

BUILD_DIR=${BUILD_DIR:-build}
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/brook-ccache}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD_DIR" --parallel "$(nproc)" --target brook-kafka brook-sales-generator \
  brook-running-totals brook-topics

BIN=$BUILD_DIR/apps
PURCHASES=${DEMO_PURCHASES:-20000}
RATE=${DEMO_RATE:-2000}
WORK=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

if $REAL; then
  scripts/kafka.sh >"$WORK/kafka.out" 2>"$WORK/kafka.err" &
  pids+=($!)
  wait_for=600  # the first run fetches the broker's jars through Maven
  what="the real Kafka (scripts/kafka.sh)"
  # A real broker answers an empty fetch as soon as records arrive, and leaves
  # a group member its production session timeout.
  TUNING=()
else
  "$BIN/brook-kafka" --topic demo.products:4 --topic demo.purchases:4 \
    --topic demo.inventories:4 --topic demo.running.totals:4 >"$WORK/kafka.out" 2>"$WORK/kafka.err" &
  pids+=($!)
  wait_for=100
  what="the embedded Kafka (brook-kafka)"
  # The embedded Kafka holds an empty fetch for all of fetch.wait.max.ms, and
  # waits a session timeout before each rebalance round.
  TUNING=(--property consumer.session.timeout.ms=6000 --property consumer.fetch.wait.max.ms=10)
fi
for _ in $(seq $wait_for); do
  grep -q '^bootstrap.servers=' "$WORK/kafka.out" 2>/dev/null && break
  kill -0 "${pids[0]}" 2>/dev/null || break
  sleep 0.2
done
BOOTSTRAP=$(sed -n 's/^bootstrap.servers=//p' "$WORK/kafka.out" | head -1)
[ -n "$BOOTSTRAP" ] || { echo "demo: $what did not start" >&2; cat "$WORK/kafka.err" "$WORK/kafka.out" >&2; exit 1; }
echo "demo: $what at $BOOTSTRAP"
if $REAL; then
  "$BIN/brook-topics" --bootstrap-servers "$BOOTSTRAP" --create demo.running.totals:4 \
    --create demo.purchases:4 --create demo.products:4 --create demo.inventories:4 >/dev/null
fi

"$BIN/brook-running-totals" --bootstrap-servers "$BOOTSTRAP" --state-dir "$WORK/state" \
  --commit-interval-ms 1000 "${TUNING[@]}" --print-totals \
  > >(tee "$WORK/live.out") 2>"$WORK/worker.err" &
worker=$!
pids+=($worker)

echo "demo: generating $PURCHASES purchases at $RATE/s"
"$BIN/brook-sales-generator" --bootstrap-servers "$BOOTSTRAP" --purchases "$PURCHASES" \
  --rate "$RATE" --seed 42 --quiet

# The table's TOTAL row counts every purchase in the latest totals written.
counted() { awk '$1 == "TOTAL" { n = $2 } END { print n + 0 }' "$WORK/live.out"; }
for _ in $(seq 600); do
  [ "$(counted)" -ge "$PURCHASES" ] && break
  kill -0 "$worker" 2>/dev/null || break
  sleep 0.1
done
kill -TERM "$worker" 2>/dev/null || true
wait "$worker" || { echo "demo: worker failed" >&2; cat "$WORK/worker.err" >&2; exit 1; }
sleep 0.2
echo
echo "demo: $PURCHASES purchases generated, $(counted) counted in the running totals"
[ "$(counted)" -eq "$PURCHASES" ] || { echo "demo: totals do not match" >&2; tail -5 "$WORK/worker.err" >&2; exit 1; }
