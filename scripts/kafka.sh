#!/usr/bin/env bash
# Runs a real Apache Kafka (4.x, KRaft, combined broker+controller nodes) on
# loopback, from the jars Maven fetches once (scripts/kafka/pom.xml; they stay in
# the Maven repository). For tests, benchmarks and the demo, not for production.
#
#   scripts/kafka.sh [--brokers 1|3] [--dir DIR] [--heap SIZE] [--keep]
#
# Prints, once every broker answers metadata:
#   bootstrap.servers=127.0.0.1:PORT[,...]      (always the first line)
#   kafka.dir=DIR                               (logs: DIR/broker-N/broker.log)
#   kafka.broker.N.pid=PID                      (one line per broker)
# then runs until SIGTERM or SIGINT, when it stops every broker and removes DIR
# (unless --keep). A test may stop or kill a broker by its pid and start it again
# with DIR/broker-N/start (which rewrites DIR/broker-N/pid); shutdown stops it
# by that file.
#
# One broker: replication 1 for internal topics. Three (--brokers 3):
# replication 3 and min.insync.replicas=2, for fault tests. Both: no initial
# rebalance delay, no topic auto-creation, a quick log cleaner (compaction tests).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

brokers=1
dir=""
heap=""
keep=false
while [ $# -gt 0 ]; do
  case "$1" in
    --brokers) brokers=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --heap) heap=$2; shift 2 ;;
    --keep) keep=true; shift ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "kafka.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$brokers" in 1|3) ;; *) echo "kafka.sh: --brokers must be 1 or 3" >&2; exit 2 ;; esac
[ -n "$heap" ] || { [ "$brokers" = 1 ] && heap=1g || heap=512m; }

if ! command -v java >/dev/null 2>&1; then
  echo "kafka.sh: java not found: install a JDK 17 or later (Debian: openjdk-17-jdk-headless)" >&2
  exit 3
fi
java_major=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
if [ "${java_major%%.*}" -lt 17 ] 2>/dev/null; then
  echo "kafka.sh: Java $java_major found; the Kafka broker needs Java 17 or later" >&2
  exit 3
fi

# The broker's classpath, resolved once per pom version (Maven downloads on the
# first run only).
classpath() {
  local cache=${BROOK_KAFKA_CACHE:-$HOME/.cache/brook-kafka}
  local key
  key=$(cat "$here/kafka/pom.xml" | sha1sum | cut -c1-12)
  local file="$cache/classpath-$key.txt"
  if [ -s "$file" ] && tr ':' '\n' <"$file" | while read -r jar; do [ -f "$jar" ] || exit 1; done; then
    cat "$file"
    return
  fi
  if ! command -v mvn >/dev/null 2>&1; then
    echo "kafka.sh: mvn not found: install Maven (Debian: maven) to fetch the Kafka broker" >&2
    exit 3
  fi
  mkdir -p "$cache"
  if ! mvn -q -B -f "$here/kafka/pom.xml" dependency:build-classpath \
      -Dmdep.outputFile="$file.tmp" >"$cache/mvn.log" 2>&1; then
    echo "kafka.sh: Maven could not fetch the Kafka broker (log: $cache/mvn.log):" >&2
    tail -20 "$cache/mvn.log" >&2
    exit 3
  fi
  mv "$file.tmp" "$file"
  cat "$file"
}
CP=$(classpath)

# A free loopback port: random candidates, one nothing answers on.
used_ports=" "
free_port() {
  local p
  for _ in $(seq 200); do
    p=$((20000 + RANDOM % 40000))
    case "$used_ports" in *" $p "*) continue ;; esac
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      used_ports="$used_ports$p "
      echo "$p"
      return
    fi
  done
  echo "kafka.sh: no free port found" >&2
  exit 4
}

if [ -z "$dir" ]; then
  dir=$(mktemp -d "${TMPDIR:-/tmp}/brook-kafka.XXXXXX")
else
  rm -rf "$dir"
  mkdir -p "$dir"
fi
dir=$(cd "$dir" && pwd)

stop_all() {
  local pids=()
  for f in "$dir"/broker-*/pid; do
    [ -f "$f" ] || continue
    local p
    p=$(cat "$f")
    kill -CONT "$p" 2>/dev/null || true  # a paused broker cannot stop
    kill -TERM "$p" 2>/dev/null && pids+=("$p")
  done
  for _ in $(seq 100); do
    local alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.1
  done
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  $keep || rm -rf "$dir"
}
trap 'stop_all; exit 0' TERM INT
trap 'stop_all' EXIT

ports=() controller_ports=()
for n in $(seq "$brokers"); do
  ports+=("$(free_port)")
  controller_ports+=("$(free_port)")
done
voters="" bootstrap=""
for n in $(seq "$brokers"); do
  voters="$voters${voters:+,}$n@127.0.0.1:${controller_ports[$((n - 1))]}"
  bootstrap="$bootstrap${bootstrap:+,}127.0.0.1:${ports[$((n - 1))]}"
done
replication=$brokers
min_isr=$((brokers == 1 ? 1 : 2))
cluster_id=$(java -cp "$CP" -Dbrook.kafka.log="$dir/storage.log" \
  -Dlog4j2.configurationFile="$here/kafka/log4j2.properties" kafka.tools.StorageTool random-uuid)

for n in $(seq "$brokers"); do
  b="$dir/broker-$n"
  mkdir -p "$b/data"
  cat >"$b/server.properties" <<EOF
process.roles=broker,controller
node.id=$n
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:${ports[$((n - 1))]},CONTROLLER://127.0.0.1:${controller_ports[$((n - 1))]}
advertised.listeners=PLAINTEXT://127.0.0.1:${ports[$((n - 1))]}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$b/data
num.partitions=1
default.replication.factor=$replication
min.insync.replicas=$min_isr
offsets.topic.replication.factor=$replication
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=$replication
transaction.state.log.min.isr=$min_isr
transaction.state.log.num.partitions=8
share.coordinator.state.topic.replication.factor=$replication
share.coordinator.state.topic.min.isr=$min_isr
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
log.cleaner.backoff.ms=500
replica.lag.time.max.ms=10000
EOF
  java -cp "$CP" -Dbrook.kafka.log="$dir/storage.log" \
    -Dlog4j2.configurationFile="$here/kafka/log4j2.properties" \
    kafka.tools.StorageTool format -t "$cluster_id" -c "$b/server.properties" >"$b/format.out" 2>&1 ||
    { echo "kafka.sh: formatting broker $n failed:" >&2; cat "$b/format.out" >&2; exit 5; }
  cat >"$b/start" <<EOF
#!/usr/bin/env bash
# Starts broker $n in the background and records its pid in $b/pid.
java -Xmx$heap -Xms$heap -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \\
  -Dbrook.kafka.log="$b/broker.log" -Dlog4j2.configurationFile="$here/kafka/log4j2.properties" \\
  -cp "$CP" kafka.Kafka "$b/server.properties" >>"$b/stdout.log" 2>&1 </dev/null &
echo \$! >"$b/pid"
EOF
  chmod +x "$b/start"
  "$b/start"
done

if ! java -cp "$CP" -Dbrook.kafka.log="$dir/wait.log" \
    -Dlog4j2.configurationFile="$here/kafka/log4j2.properties" \
    "$here/kafka/WaitReady.java" "$bootstrap" "$brokers" 120; then
  for n in $(seq "$brokers"); do
    echo "--- broker $n:" >&2
    tail -20 "$dir/broker-$n/broker.log" "$dir/broker-$n/stdout.log" >&2 2>/dev/null || true
  done
  exit 5
fi

echo "bootstrap.servers=$bootstrap"
echo "kafka.dir=$dir"
for n in $(seq "$brokers"); do echo "kafka.broker.$n.pid=$(cat "$dir/broker-$n/pid")"; done
# Sleep in the background so that the traps run as soon as a signal arrives.
while :; do
  sleep 3600 &
  wait $! || true
done
