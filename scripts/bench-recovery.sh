#!/usr/bin/env bash
# Recovery of an exactly-once worker after SIGKILL, with its stores on disk and
# without, on one real Apache Kafka: builds brook-bench-recovery (Release),
# starts a broker with scripts/kafka.sh (unless BROOK_BENCH_BOOTSTRAP_SERVERS
# names one) and runs it. Extra arguments go to brook-bench-recovery
# (e.g. --keys 2000000).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-release}
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/brook-ccache}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBROOK_BUILD_TESTS=OFF >/dev/null
cmake --build "$BUILD_DIR" --parallel "$(nproc)" --target brook-bench-recovery

. scripts/with-kafka.sh
bootstrap=${BROOK_BENCH_BOOTSTRAP_SERVERS:-}
[ -n "$bootstrap" ] || start_kafka bootstrap
"$BUILD_DIR/bench/brook-bench-recovery" --bootstrap-servers "$bootstrap" "$@"
