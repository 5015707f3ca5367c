#!/usr/bin/env bash
# Builds (Release) and runs the benchmarks: the pipeline ratios against the raw
# librdkafka pipe on the same local Kafka, then the microbenchmarks.
# Extra arguments go to brook-bench-pipeline (e.g. --records 500000).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
BUILD_DIR=${BUILD_DIR:-build-release}
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/brook-ccache}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBROOK_BUILD_TESTS=OFF >/dev/null
cmake --build "$BUILD_DIR" --parallel "$(nproc)" --target brook-bench-pipeline brook-bench-micro
"$BUILD_DIR/bench/brook-bench-pipeline" "$@"
"$BUILD_DIR/bench/brook-bench-micro" --benchmark_min_time=0.2
