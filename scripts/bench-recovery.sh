#!/usr/bin/env bash
# Recovery of an exactly-once worker after SIGKILL, with its stores on disk and
# without, on one real Apache Kafka: builds brook-bench-recovery (Release),
# starts a broker with scripts/kafka.sh (unless BROOK_BENCH_BOOTSTRAP_SERVERS
# names one) and runs it. Extra arguments go to brook-bench-recovery
# (e.g. --keys 2000000).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-common.sh
build_release brook-bench-recovery
bench_kafka bootstrap
"$BUILD_DIR/bench/brook-bench-recovery" --bootstrap-servers "$bootstrap" "$@"
