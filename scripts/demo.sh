#!/usr/bin/env bash
# Installs what brook needs, builds the apps and runs the smoothie-bar demo end
# to end: the sales generator (purchases, restocks, price changes and the odd
# deleted product) and the four workloads beside each other —
# brook-running-totals printing its live totals table, brook-windowed-sales
# (sales per product over hopping windows of event time), brook-purchase-
# enrichment (each purchase with its product record) and brook-restock-sales
# (restocks joined with the purchases after them). When the generator is done
# it checks that every purchase was counted exactly once and enriched exactly
# once, shows the latest windows and stops.
#   scripts/demo.sh               on the embedded Kafka (brook-kafka): no set-up
#   scripts/demo.sh --real-kafka  on a real Apache Kafka that scripts/kafka.sh
#                                 fetches (Java 17 + Maven) and starts
#   scripts/demo.sh --apps running-totals,windowed-sales   only those workloads
#   DEMO_PURCHASES  purchases to generate (default 20000)
#   DEMO_RATE       purchases per second (default 2000)
#   DEMO_EVENT_GAP_MS  event time between purchases (default 100: 20000
#                   purchases span half an hour of sales, several windows)
set -euo pipefail
cd "$(dirname "$0")/.."
REAL=false
APPS=running-totals,windowed-sales,purchase-enrichment,restock-sales
while [ $# -gt 0 ]; do
  case "$1" in
    --real-kafka) REAL=true ;;
    --apps) APPS=${2:?--apps takes a list}; shift ;;
    --apps=*) APPS=${1#--apps=} ;;
    *) echo "usage: scripts/demo.sh [--real-kafka] [--apps running-totals,windowed-sales,purchase-enrichment,restock-sales]" >&2; exit 2 ;;
  esac
  shift
done
for a in ${APPS//,/ }; do
  case "$a" in
    running-totals|windowed-sales|purchase-enrichment|restock-sales) ;;
    *) echo "demo: unknown app '$a'" >&2; exit 2 ;;
  esac
done
has() { [[ ",$APPS," == *",$1,"* ]]; }

scripts/install-deps.sh

BUILD_DIR=${BUILD_DIR:-build}
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/brook-ccache}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD_DIR" --parallel "$(nproc)" --target brook-kafka brook-sales-generator \
  brook-running-totals brook-windowed-sales brook-purchase-enrichment brook-restock-sales brook-topics

BIN=$BUILD_DIR/apps
PURCHASES=${DEMO_PURCHASES:-20000}
RATE=${DEMO_RATE:-2000}
EVENT_GAP_MS=${DEMO_EVENT_GAP_MS:-100}
TOPICS=(demo.products:4 demo.purchases:4 demo.inventories:4 demo.running.totals:4
  demo.windowed.sales:4 demo.purchases.enriched:4 demo.restock.sales:4)
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
  "$BIN/brook-kafka" "${TOPICS[@]/#/--topic=}" >"$WORK/kafka.out" 2>"$WORK/kafka.err" &
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
  "$BIN/brook-topics" --bootstrap-servers "$BOOTSTRAP" "${TOPICS[@]/#/--create=}" >/dev/null
fi

# Each workload is its own worker process, with its own state directory.
workers=()
start_app() {
  local app=$1
  shift
  "$BIN/brook-$app" --bootstrap-servers "$BOOTSTRAP" --state-dir "$WORK/state-$app" \
    --commit-interval-ms 1000 "${TUNING[@]}" "$@" 2>"$WORK/$app.err" &
  pids+=($!)
  workers+=("$!:$app")
}
if has running-totals; then
  start_app running-totals --print-totals > >(tee "$WORK/live.out")
fi
has windowed-sales && start_app windowed-sales --print-windows >"$WORK/windows.out"
has purchase-enrichment && start_app purchase-enrichment >/dev/null
has restock-sales && start_app restock-sales >/dev/null

echo "demo: generating $PURCHASES purchases at $RATE/s ($EVENT_GAP_MS ms of event time apart)"
"$BIN/brook-sales-generator" --bootstrap-servers "$BOOTSTRAP" --purchases "$PURCHASES" \
  --rate "$RATE" --event-gap-ms "$EVENT_GAP_MS" --seed 42 --quiet

count() { "$BIN/brook-topics" --bootstrap-servers "$BOOTSTRAP" --count "$1" | awk '{ print $2 }'; }
# The table's TOTAL row counts every purchase in the latest totals written.
counted() { awk '$1 == "TOTAL" { n = $2 } END { print n + 0 }' "$WORK/live.out"; }
for _ in $(seq 600); do
  done_all=true
  if has running-totals && [ "$(counted)" -lt "$PURCHASES" ]; then done_all=false; fi
  if has purchase-enrichment && [ "$(count demo.purchases.enriched)" -lt "$PURCHASES" ]; then
    done_all=false
  fi
  $done_all && break
  sleep 0.2
done
# The windows and joins settle a commit later.
sleep 2
failed=false
for w in "${workers[@]}"; do
  kill -TERM "${w%%:*}" 2>/dev/null || true
done
for w in "${workers[@]}"; do
  wait "${w%%:*}" || { echo "demo: brook-${w#*:} failed" >&2; cat "$WORK/${w#*:}.err" >&2; failed=true; }
done
$failed && exit 1
sleep 0.2
echo
if has windowed-sales; then
  echo "demo: the latest windows (brook-windowed-sales --print-windows):"
  # Each refresh prints the latest two windows, their top five products.
  tail -n 16 "$WORK/windows.out"
  echo "demo: $(count demo.windowed.sales) window updates in demo.windowed.sales"
fi
if has restock-sales; then
  echo "demo: $(count demo.restock.sales) restock sales in demo.restock.sales"
fi
if has purchase-enrichment; then
  enriched=$(count demo.purchases.enriched)
  echo "demo: $enriched purchases enriched in demo.purchases.enriched"
  [ "$enriched" -eq "$PURCHASES" ] || { echo "demo: not one enriched purchase per purchase" >&2; exit 1; }
fi
if has running-totals; then
  echo "demo: $PURCHASES purchases generated, $(counted) counted in the running totals"
  [ "$(counted)" -eq "$PURCHASES" ] || { echo "demo: totals do not match" >&2; tail -5 "$WORK/running-totals.err" >&2; exit 1; }
fi
