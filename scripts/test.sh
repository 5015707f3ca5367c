#!/usr/bin/env bash
# Installs what brook needs, builds everything (warnings are errors) and runs the
# whole test suite — what CI runs:
#   1. unit tests (no broker);
#   2. integration tests on the embedded Kafka, and the faults only it can inject;
#   3. the same integration tests on a real Apache Kafka, with the tests only a
#      real broker can pass (transactions, fencing, topic configs, compaction):
#      the broker in BROOK_TEST_BOOTSTRAP_SERVERS, else one scripts/kafka.sh starts;
#   4. broker failures on three-broker clusters the tests start themselves;
#   5. conformance: the scenarios of tests/conformance through Kafka Streams'
#      own TopologyTestDriver (Java, from Maven) and brook's, outputs compared;
# after checking the formatting (scripts/format.sh --check) and building an
# application outside the tree against the installed package (a unit test).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

# The README's example (its one ```cpp block; other snippets are ```c++) is
# compiled as apps/example/main.cc: they must not drift.
if ! sed -n '/^```cpp$/,/^```$/p' README.md | sed '1d;$d' | diff -q - <(tail -n +2 apps/example/main.cc) >/dev/null; then
  echo "test.sh: README example and apps/example/main.cc differ" >&2
  exit 1
fi

# Formatting (.clang-format) is part of the build: a file that differs fails.
scripts/format.sh --check

BUILD_DIR=${BUILD_DIR:-build}
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/brook-ccache}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBROOK_WERROR=ON >/dev/null
cmake --build "$BUILD_DIR" --parallel "$(nproc)"

run() {
  echo "=== $1" >&2
  shift
  (cd "$BUILD_DIR" && ctest --output-on-failure --timeout 900 "$@")
}

run "unit tests" -L unit
run "conformance with Kafka Streams' TopologyTestDriver" -L conformance
(unset BROOK_TEST_BOOTSTRAP_SERVERS; run "integration tests on the embedded Kafka" -L 'integration|embedded')

. scripts/with-kafka.sh
[ -n "${BROOK_TEST_BOOTSTRAP_SERVERS:-}" ] || start_kafka BROOK_TEST_BOOTSTRAP_SERVERS
export BROOK_TEST_BOOTSTRAP_SERVERS
run "integration tests on a real Kafka at $BROOK_TEST_BOOTSTRAP_SERVERS" -L 'integration|real'
stop_kafka
run "broker failures on three-broker clusters" -L cluster
