#!/usr/bin/env bash
# Installs what brook needs, builds everything (warnings are errors) and runs the
# whole test suite: unit tests, then integration tests on the local Kafka (or on
# the broker in BROOK_TEST_BOOTSTRAP_SERVERS). This is what .ci/run runs.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

# The README's example is compiled as apps/example/main.cc: they must not drift.
if ! sed -n '/^```cpp$/,/^```$/p' README.md | sed '1d;$d' | diff -q - <(tail -n +2 apps/example/main.cc) >/dev/null; then
  echo "test.sh: README example and apps/example/main.cc differ" >&2
  exit 1
fi

BUILD_DIR=${BUILD_DIR:-build}
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/brook-ccache}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBROOK_WERROR=ON >/dev/null
cmake --build "$BUILD_DIR" --parallel "$(nproc)"

cd "$BUILD_DIR"
ctest --output-on-failure --timeout 600 -L unit
ctest --output-on-failure --timeout 600 -L integration
