#!/usr/bin/env bash
# Installs what brook needs, builds the apps and runs the running-totals demo end
# to end on the local Kafka: brook-kafka, the sales generator and
# brook-running-totals printing its live totals table; when the generator is
# done, it checks that every purchase was counted exactly once and stops.
#   DEMO_PURCHASES  purchases to generate (default 20000)
#   DEMO_RATE       purchases per second (default 2000)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

BUILD_DIR=${BUILD_DIR:-build}
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/brook-ccache}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD_DIR" --parallel "$(nproc)" --target brook-kafka brook-sales-generator brook-running-totals

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

"$BIN/brook-kafka" --topic demo.products:4 --topic demo.purchases:4 \
  --topic demo.inventories:4 --topic demo.running.totals:4 >"$WORK/kafka.out" 2>"$WORK/kafka.err" &
pids+=($!)
for _ in $(seq 100); do
  grep -q '^bootstrap.servers=' "$WORK/kafka.out" 2>/dev/null && break
  sleep 0.1
done
BOOTSTRAP=$(sed -n 's/^bootstrap.servers=//p' "$WORK/kafka.out" | head -1)
[ -n "$BOOTSTRAP" ] || { echo "demo: brook-kafka did not start" >&2; cat "$WORK/kafka.err" >&2; exit 1; }
echo "demo: local Kafka at $BOOTSTRAP"

"$BIN/brook-running-totals" --bootstrap-servers "$BOOTSTRAP" --state-dir "$WORK/state" \
  --commit-interval-ms 1000 --property consumer.session.timeout.ms=6000 \
  --property consumer.fetch.wait.max.ms=10 --print-totals \
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
