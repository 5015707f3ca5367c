#!/usr/bin/env bash
# brook side by side with Kafka Streams on one real Apache Kafka: builds brook
# (Release) and the Kafka Streams peer (bench/peers/kafka-streams, Maven), starts
# a broker with scripts/kafka.sh (unless BROOK_BENCH_BOOTSTRAP_SERVERS names
# one), and runs brook-bench-peers. Extra arguments go to brook-bench-peers
# (e.g. --records 2000000, --guarantees at_least_once, --only "brook,Kafka Streams",
# --workload windowed-sales | purchase-enrichment).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
. scripts/bench-common.sh
build_release brook-bench-peers brook-bench-raw-pipe brook-running-totals brook-windowed-sales \
  brook-purchase-enrichment
build_peer
bench_kafka bootstrap
"$BUILD_DIR/bench/brook-bench-peers" --bootstrap-servers "$bootstrap" \
  --raw-pipe "$BUILD_DIR/bench/brook-bench-raw-pipe" \
  --running-totals "$BUILD_DIR/apps/brook-running-totals" \
  --windowed-sales "$BUILD_DIR/apps/brook-windowed-sales" \
  --purchase-enrichment "$BUILD_DIR/apps/brook-purchase-enrichment" \
  --peer-classpath "$peer_classpath" "$@"
