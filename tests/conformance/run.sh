#!/usr/bin/env bash
# The conformance suite: every scenario (scenarios/*.scenario) runs through
# Kafka Streams' TopologyTestDriver (kafka-streams/, built with Maven) and
# through brook's (the brook-conformance program given as $1); their outputs
# must be the same, record by record. A scenario with "brook-output" lines
# documents a deliberate difference: brook must produce those lines instead.
# Usage: run.sh BROOK_CONFORMANCE_BINARY [SCENARIO...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
brook=$1
shift
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=("$here"/scenarios/*.scenario)
work=${BROOK_CONFORMANCE_DIR:-$(mktemp -d)}
mkdir -p "$work/kafka-streams" "$work/brook"

peer="$here/kafka-streams"
jar="$peer/target/brook-conformance-kafka-streams-1.jar"
if [ ! -f "$jar" ] || [ -n "$(find "$peer/src" "$peer/pom.xml" -newer "$jar" 2>/dev/null)" ]; then
  (cd "$peer" && mvn -q -B package -DskipTests &&
    mvn -q -B dependency:build-classpath -Dmdep.outputFile=target/classpath.txt) >&2
fi
java -cp "$jar:$(cat "$peer/target/classpath.txt")" dev.brook.conformance.Conformance \
  "$work/kafka-streams" "${scenarios[@]}"
"$brook" "$work/brook" "${scenarios[@]}"

failed=0
for s in "${scenarios[@]}"; do
  name=$(basename "$s" .scenario)
  expected="$work/kafka-streams/$name.out"
  if grep -q '^brook-output' "$s"; then
    expected="$work/$name.brook-expected"
    sed -n 's/^brook-output //p' "$s" >"$expected"
  fi
  if diff -u --label "Kafka Streams: $name" --label "brook: $name" "$expected" \
    "$work/brook/$name.out"; then
    echo "same: $name"
  else
    failed=1
  fi
done
exit $failed
