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
BUILD_DIR=${BUILD_DIR:-build-release}
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/brook-ccache}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBROOK_BUILD_TESTS=OFF >/dev/null
cmake --build "$BUILD_DIR" --parallel "$(nproc)" \
  --target brook-bench-peers brook-bench-raw-pipe brook-running-totals brook-windowed-sales \
  brook-purchase-enrichment

peer=bench/peers/kafka-streams
(cd "$peer" && mvn -q -B package -DskipTests && \
  mvn -q -B dependency:build-classpath -Dmdep.outputFile=target/classpath.txt) >&2
classpath="$PWD/$peer/target/brook-peer-kafka-streams-1.jar:$(cat "$peer/target/classpath.txt")"

. scripts/with-kafka.sh
bootstrap=${BROOK_BENCH_BOOTSTRAP_SERVERS:-}
[ -n "$bootstrap" ] || start_kafka bootstrap
"$BUILD_DIR/bench/brook-bench-peers" --bootstrap-servers "$bootstrap" \
  --raw-pipe "$BUILD_DIR/bench/brook-bench-raw-pipe" \
  --running-totals "$BUILD_DIR/apps/brook-running-totals" \
  --windowed-sales "$BUILD_DIR/apps/brook-windowed-sales" \
  --purchase-enrichment "$BUILD_DIR/apps/brook-purchase-enrichment" \
  --peer-classpath "$classpath" "$@"
