#!/usr/bin/env bash
# Several workers on one real Apache Kafka: throughput with 1, 2 and 3 workers
# (--mode scaling), and failover after SIGKILL with and without standby
# replicas, brook and Kafka Streams (--mode failover, the default). Builds
# brook-bench-workers (Release) and the Kafka Streams peer, starts a broker with
# scripts/kafka.sh (unless BROOK_BENCH_BOOTSTRAP_SERVERS names one) and runs it.
# Extra arguments go to brook-bench-workers (e.g. --keys 100000 --standbys 1).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-release}
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/brook-ccache}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBROOK_BUILD_TESTS=OFF >/dev/null
cmake --build "$BUILD_DIR" --parallel "$(nproc)" --target brook-bench-workers

peer=bench/peers/kafka-streams
(cd "$peer" && mvn -q -B package -DskipTests && \
  mvn -q -B dependency:build-classpath -Dmdep.outputFile=target/classpath.txt) >&2
classpath="$PWD/$peer/target/brook-peer-kafka-streams-1.jar:$(cat "$peer/target/classpath.txt")"

. scripts/with-kafka.sh
bootstrap=${BROOK_BENCH_BOOTSTRAP_SERVERS:-}
[ -n "$bootstrap" ] || start_kafka bootstrap
"$BUILD_DIR/bench/brook-bench-workers" --bootstrap-servers "$bootstrap" \
  --peer-classpath "$classpath" "$@"
