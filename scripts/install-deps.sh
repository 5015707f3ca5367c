#!/usr/bin/env bash
# Installs brook's build and test dependencies from Debian 12 packages.
# Idempotent: packages already present are left alone, and apt is not touched at all
# when everything is installed. Used by both README commands and by .ci/run.
set -euo pipefail

packages=(
  build-essential cmake pkg-config ninja-build ccache mold
  librdkafka-dev librocksdb-dev libsimdjson-dev libboost-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev libgoogle-perftools-dev
  # The formatting check of scripts/test.sh (.clang-format).
  clang-format
  # The real Apache Kafka of the tests and benchmarks (scripts/kafka.sh), and
  # the Kafka Streams peer: Java and Maven fetch them from Maven Central.
  openjdk-17-jdk-headless maven
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
