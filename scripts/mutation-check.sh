#!/usr/bin/env bash
# Deliberate bugs the test suite must notice. Each mutation below breaks one
# guarantee (or brings back one fixed defect); the script applies it to a copy
# of the sources, builds the copy, runs the tests that guard that guarantee and
# expects at least one of them to fail. A mutation whose tests still pass
# "survives": the suite would not notice that bug, which is a defect of the
# suite.
#
#   scripts/mutation-check.sh            # every mutation
#   scripts/mutation-check.sh NAME...    # some of them
#   scripts/mutation-check.sh --list
#
# Environment: BROOK_MUTANTS_DIR (default /tmp/brook-mutants) holds the copy
# and its build; BROOK_TEST_BOOTSTRAP_SERVERS, if set, is the real Kafka for the
# mutations guarded by real-broker tests (else scripts/kafka.sh starts one).
# Exit status: 0 when every mutation chosen was noticed, 1 otherwise.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
work="${BROOK_MUTANTS_DIR:-/tmp/brook-mutants}"

# name | file | text to find (exactly once) | replacement | ctest regex | kafka
# kafka: unit (none), embedded (the mock), real (a broker).
# "\n" in the texts stands for a newline.
mutations=(
  "tombstones-not-logged|engine/runtime/state_manager.cc|    OutgoingRecord r;\n    r.topic = topic_;|    if (!value) return;\n    OutgoingRecord r;\n    r.topic = topic_;|Guarantees.ADeleteReachesTheChangelogAsATombstone|embedded"
  "alos-offsets-before-delivery|engine/runtime/stream_thread_commit.cc|  Status s = producer_->flush();\n  if (!s) throw std::runtime_error(s.message());\n  if (inputs.empty()) return Result::kCommitted;|  Status s;\n  if (inputs.empty()) return Result::kCommitted;|EmbeddedFaults.AtLeastOnceCommitsOffsetsOnlyAfterTheirOutputsAreDelivered|embedded"
  "memtables-not-charged|state/rocksdb_store.cc|  options.write_buffer_manager = resources.write_buffer_manager();\n||RocksDbResources.BoundsMemoryOfManyStoresWithOneBudget|unit"
  "tasks-not-reverted-after-abort|engine/runtime/stream_thread_commit.cc|  } else {\n    revive_tasks();\n  }|  } else {\n  }|ExactlyOnceFaults|embedded"
  "d1-restoring-task-revived|engine/runtime/task_manager.cc|    if (e.restoring) {\n      ++it;|    if (false) {\n      ++it;|EmbeddedFaults.AFailedTransactionLeavesATaskThatIsStillRestoringAlone|embedded"
  "d2-offset-lookup-guessed|engine/kafka/group_consumer.cc|    if (failure.empty()) break;|    break;|EmbeddedFaults.AFailedCommittedOffsetLookupIsAskedAgainNeverGuessed|embedded"
  "d3-refused-send-committed|engine/kafka/streams_producer.cc|    if (send_error_ != TxnError::kNone) {|    if (false) {|Guarantees.AnOutputKafkaRefusesFailsTheRunAndCommitsNoInputAfterIt|embedded"
  "d4-failing-commit-retried-forever|engine/runtime/stream_thread_commit.cc|  if (now - *failing_since_ >= task_timeout_) {|  if (false) {|EmbeddedFaults.ACommitThatKeepsFailingFailsTheInstanceAfterTheTaskTimeout|embedded"
  "d5-failed-abort-taken-as-success|engine/runtime/stream_thread_commit.cc|      replace_producer = true;\n||EmbeddedFaults.AFailedAbortReplacesTheProducer|embedded"
  "d6-lost-committed-as-revoked|engine/kafka/group_consumer.cc|    std::vector<TopicPartition> release = rd_kafka_assignment_lost(rk)|    std::vector<TopicPartition> release = false|ExactlyOnceOnRealKafka.SurvivesRepeatedSigkill|real"
  "d7-send-only-transaction-without-positions|engine/runtime/task_manager.cc|  if (offsets.empty() && in_transaction) {|  if (false) {|EmbeddedFaults.ATransactionWithSendsButNoInputStillSendsThePositions|embedded"
  "d8-changelog-offset-overwritten|engine/runtime/state_manager.cc|  offset = std::max(offset, next_offset);|  offset = next_offset;|ExactlyOnceOnRealKafka.TasksThatLeaveAndComeBack|real"
  "d8-restore-stops-at-stable-offset|engine/runtime/changelog_reader.cc|      if (end > high && !skip_tail) {|      if (false) {|ExactlyOnceOnRealKafka.AStoreAheadOfAnOpenTransactionWaitsForItAndIsNotWiped|real"
  "d9-guarantee-switch-not-noticed|engine/runtime/state_manager.cc|  if (found == wanted) return;|  return;|Guarantees.SwitchingTheGuaranteeRebuildsTheStoresFromTheirChangelogs|embedded"
  "marker-holds-multi-input-position|engine/runtime/partition_group.cc|      if (q->end_seen > q->next_offset) q->next_offset = q->end_seen;\n||MultiInputIntegration|real"
  "partition-time-not-committed|engine/runtime/stream_thread_commit.cc|  s = consumer_->commit(inputs, &times);|  s = consumer_->commit(inputs, nullptr);|StreamTimeIntegration|embedded"
  "late-window-record-counted|operators/window_aggregate_nodes.h|      if (w.end <= close_time) {|      if (false) {|Conformance|unit"
  "suppress-emits-partial-windows|operators/suppress_node.h|      if (end > expiry) {|      if (end > expiry + 1000000000) {|Conformance|unit"
  "producer-partitions-by-crc32|engine/kafka/streams_producer.cc|  rd_kafka_topic_conf_t* tconf = rd_kafka_default_topic_conf_dup(rk_.get());|  rd_kafka_topic_conf_t* tconf = rd_kafka_topic_conf_new();|DemoAppsIntegration.EveryPurchaseIsEnriched.*AtLeastOnceOneRun|embedded"
  "outer-join-emits-before-window-closes|operators/join_nodes.h|      if (tt.min_time + look_back + grace_ >= tt.stream_time) {|      if (false) {|Conformance|unit"
  "bounded-run-done-with-its-own-partitions|engine/runtime/kafka_streams.cc|  if (unowned.empty()) return true;|  return true;|ExactlyOnceOnRealKafka.ABoundedRunIsNotCompleteWhileAnotherMemberHoldsInputPartitions|real"
  "fk-join-stale-answer-joined|operators/foreign_key_join_nodes.h|    if (hash != r.value.hash) return;  // an answer for a value this key no longer has\n||ForeignKeyJoin.AnAnswerForAValueTheKeyNoLongerHasIsDropped|unit"
  "eos-reads-aborted-records|engine/kafka/kafka_client.h|  return guarantee == ProcessingGuarantee::kExactlyOnceV2 ? \"read_committed\" : \"read_uncommitted\";|  return \"read_uncommitted\";|ExactlyOnceOnRealKafka.[PR][a-zA-Z]*Survive|real"
  "static-membership-not-set|engine/runtime/stream_thread.cc|    props[\"group.instance.id\"] = id + \"-\" + std::to_string(index_ + 1);||Workers.AWorkerRestartingWithItsGroupInstanceIdCausesNoRebalance|real"
  "stopped-worker-stays-in-group|engine/kafka/group_consumer.cc|  rd_kafka_consumer_close(rk_.get());|  rk_.release();|Workers.ASigtermedWorkerLeavesTheGroupAtOnce|real"
  "shutdown-never-times-out|engine/runtime/kafka_streams.cc|    std::_Exit(3);|    done_cv.wait(lock, [&] { return closed; });|SingleBrokerFaults.AStoppedWorkerThatCannotReachKafkaExitsAfterTheShutdownTimeout|cluster"
  "revocation-closes-every-task|engine/runtime/stream_thread.cc|  tasks_->close_tasks(ids, /*clean=*/true);|  tasks_->close_all(true);|Workers.ASigtermedWorkerLeavesTheGroupAtOnce|real"
  "standbys-not-placed|engine/runtime/standby_placement.cc|      if (next->member_id == self) {|      if (false) {|Workers.WithAStandby|real"
  "standby-state-not-committed|engine/runtime/stream_task.h|    state_.commit_stores();\n    state_.write_checkpoint(enforce_checkpoint);\n  }|  }|Workers.WithAStandby|real"
  "revocation-not-committed|engine/runtime/stream_thread.cc|  commit_all(/*enforce_checkpoints=*/true);\n  in_rebalance_ = false;|  in_rebalance_ = false;|WorkersUnderGuarantee|real"
  "standby-prediction-order|engine/runtime/standby_placement.cc|  std::set<int, std::greater<>> orphans;|  std::set<int> orphans;|StickyAssignment|real"
  "unrouted-messages-leaked|engine/runtime/stream_thread.cc|        while (next < end) rd_kafka_message_destroy(*next++);||Guarantees.AFullDiskStopsTheWorkerNamingTheStoreAndLosesNothing|embedded"
)

if [[ "${1:-}" == "--list" ]]; then
  for m in "${mutations[@]}"; do echo "${m%%|*}"; done
  exit 0
fi
chosen=("$@")

command -v cmake >/dev/null || { echo "mutation-check: cmake is missing" >&2; exit 2; }
mkdir -p "$work"
src="$work/src"
build="$work/build"

echo "mutation-check: copying the sources to $src"
rm -rf "$src"
mkdir -p "$src"
(cd "$repo" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp -p --parents -t "$src")
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" \
  >"$work/configure.log" 2>&1 || { cat "$work/configure.log"; exit 2; }
echo "mutation-check: building the unmutated copy"
cmake --build "$build" >"$work/build.log" 2>&1 || { tail -50 "$work/build.log"; exit 2; }

. "$repo/scripts/with-kafka.sh"
real_servers="${BROOK_TEST_BOOTSTRAP_SERVERS:-}"
ensure_broker() {
  [[ -n "$real_servers" ]] || start_kafka real_servers
}

survived=()
for m in "${mutations[@]}"; do
  IFS='|' read -r name file find replace tests kafka <<<"$m"
  if [[ ${#chosen[@]} -gt 0 ]] && [[ ! " ${chosen[*]} " =~ " $name " ]]; then continue; fi
  cp "$repo/$file" "$src/$file"
  FIND="$find" REPLACE="$replace" python3 - "$src/$file" <<'EOF'
import os, sys
path = sys.argv[1]
find = os.environ["FIND"].replace("\\n", "\n")
replace = os.environ["REPLACE"].replace("\\n", "\n")
text = open(path).read()
if text.count(find) != 1:
    sys.exit(f"mutation text found {text.count(find)} times in {path} (the code moved?)")
open(path, "w").write(text.replace(find, replace))
EOF
  log="$work/$name.log"
  if ! cmake --build "$build" >"$log" 2>&1; then
    echo "mutation-check: $name does not build (see $log)" >&2
    cp "$repo/$file" "$src/$file"
    survived+=("$name (does not build)")
    continue
  fi
  env=(env -u BROOK_TEST_BOOTSTRAP_SERVERS)
  if [[ "$kafka" == real ]]; then
    ensure_broker
    env=(env "BROOK_TEST_BOOTSTRAP_SERVERS=$real_servers")
  fi
  start=$(date +%s)
  if (cd "$build" && "${env[@]}" ctest -R "$tests" --output-on-failure >>"$log" 2>&1); then
    echo "SURVIVED  $name  ($tests passed; $log)"
    survived+=("$name")
  else
    failed=$(sed -n '/The following tests FAILED:/,$p' "$log" | grep -oE '^\s+[0-9]+ - [^ ]+' |
      awk '{print $3}' | tr '\n' ' ' || true)
    echo "noticed   $name  in $(($(date +%s) - start)) s by: $failed"
  fi
  cp "$repo/$file" "$src/$file"
done
cmake --build "$build" >/dev/null 2>&1 || true

if [[ ${#survived[@]} -gt 0 ]]; then
  echo "mutation-check: ${#survived[@]} mutation(s) survived: ${survived[*]}"
  exit 1
fi
echo "mutation-check: every mutation was noticed"
