#!/usr/bin/env bash
# Several workers on one real Apache Kafka: throughput with 1, 2 and 3 workers
# (--mode scaling), and failover after SIGKILL with and without standby
# replicas, brook and Kafka Streams (--mode failover, the default). Builds
# brook-bench-workers (Release) and the Kafka Streams peer, starts a broker with
# scripts/kafka.sh (unless BROOK_BENCH_BOOTSTRAP_SERVERS names one) and runs it.
# Extra arguments go to brook-bench-workers (e.g. --keys 100000 --standbys 1).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-common.sh
build_release brook-bench-workers
build_peer
bench_kafka bootstrap
"$BUILD_DIR/bench/brook-bench-workers" --bootstrap-servers "$bootstrap" \
  --peer-classpath "$peer_classpath" "$@"
