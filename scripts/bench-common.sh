# Sourced by the benchmark scripts that run on a real Kafka:
#   build_release TARGET...   builds the targets in $BUILD_DIR (Release, no tests)
#   build_peer                builds the Kafka Streams peer (Maven) and sets
#                             peer_classpath to its jar and dependencies
#   bench_kafka NAME          stores in NAME the broker of
#                             BROOK_BENCH_BOOTSTRAP_SERVERS, or one started
#                             with scripts/kafka.sh (stopped on exit)
BUILD_DIR=${BUILD_DIR:-build-release}
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/brook-ccache}

build_release() {
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBROOK_BUILD_TESTS=OFF >/dev/null
  local targets=()
  for t in "$@"; do targets+=(--target "$t"); done
  cmake --build "$BUILD_DIR" --parallel "$(nproc)" "${targets[@]}"
}

build_peer() {
  local peer=bench/peers/kafka-streams
  (cd "$peer" && mvn -q -B package -DskipTests && \
    mvn -q -B dependency:build-classpath -Dmdep.outputFile=target/classpath.txt) >&2
  peer_classpath="$PWD/$peer/target/brook-peer-kafka-streams-1.jar:$(cat "$peer/target/classpath.txt")"
}

. scripts/with-kafka.sh
bench_kafka() {
  local address=${BROOK_BENCH_BOOTSTRAP_SERVERS:-}
  if [ -n "$address" ]; then
    printf -v "$1" '%s' "$address"
  else
    start_kafka "$1"
  fi
}
