// StreamThread, continued: committing (as the TaskManager's Committer) and
// recovering from a failed exactly-once commit — aborting or replacing the
// producer, reverting the tasks to their last commit, or rejoining when fenced.
#include <random>

#include "engine/common/log.h"
#include "engine/runtime/stream_thread.h"

namespace brook {
namespace {

std::string random_hex(int digits) {
  static thread_local std::mt19937_64 gen(std::random_device{}());
  std::string out;
  for (int i = 0; i < digits; ++i) out += "0123456789abcdef"[gen() % 16];
  return out;
}

}  // namespace

void StreamThread::commit_all(bool enforce_checkpoints) {
  auto start = std::chrono::steady_clock::now();
  reader_->commit_standbys(enforce_checkpoints);
  if (tasks_->empty()) {
    last_commit_ = start;
    return;
  }
  if (tasks_->commit(*this, enforce_checkpoints)) {
    last_commit_ = std::chrono::steady_clock::now();
    rt_.metrics->commit_total.fetch_add(1);
    commit_sensor_->record_ns(
        std::chrono::duration_cast<std::chrono::nanoseconds>(last_commit_ - start).count());
    return;
  }
  recover(txn_error_, txn_message_);
}

TaskManager::Committer::Result StreamThread::commit_inputs(const TopicPartitionOffsets& inputs,
                                                           const TopicPartitionOffsets& times) {
  if (producer_->transactional()) {
    // Only a commit of something shows the failures are over (a commit of
    // nothing, while revived tasks wait for their input, succeeds trivially).
    bool committing = !inputs.empty() || producer_->in_transaction();
    kafka::PartitionList offsets = to_partition_list(inputs, &times);
    txn_message_.clear();
    txn_error_ = producer_->commit_transaction(consumer_->handle(), offsets.get(), &txn_message_);
    if (txn_error_ != StreamsProducer::TxnError::kNone) return Result::kFailed;
    if (committing) failing_since_.reset();
    if (rt_.embedded_kafka) {
      // The mock drops offsets sent in a transaction: without this commit a
      // rebalance or restart would re-read the inputs from the beginning.
      // Refused (a rebalance under way), the positions count as uncommitted
      // and go with the next commit.
      Status s = consumer_->commit(inputs, &times);
      if (!s) {
        log::warn("{}: offset commit failed: {}", client_id_, s.message());
        return Result::kOutputsOnly;
      }
    }
    log_committed(inputs);
    return Result::kCommitted;
  }
  // Offsets only after every output and changelog record is acknowledged: a
  // committed offset must never be ahead of what its records produced.
  Status s = producer_->flush();
  if (!s) throw std::runtime_error(s.message());
  if (inputs.empty()) return Result::kCommitted;
  s = consumer_->commit(inputs, &times);
  if (!s) {
    // Typically a rebalance in progress: the records will be processed again
    // by the partition's next owner (at-least-once).
    log::warn("{}: offset commit failed: {}", client_id_, s.message());
    return Result::kOutputsOnly;
  }
  log_committed(inputs);
  return Result::kCommitted;
}

void StreamThread::log_committed(const TopicPartitionOffsets& offsets) const {
  if (!log::enabled(log::Level::kDebug)) return;
  std::string where;
  for (const auto& [tp, offset] : offsets) where += fmt::format(" {}@{}", tp.str(), offset);
  log::debug("{}: committed{}", client_id_, where);
}

void StreamThread::rejoin_after_fence(const std::string& message) {
  // Another producer owns our transactional.id: this one is unusable. Drop the
  // tasks without committing and rejoin the group with a new producer.
  log::warn("{}: producer fenced ({}); closing tasks and rejoining", client_id_, message);
  tasks_->close_all(false);
  // A live instance holds our transactional.id (a copy of this state
  // directory runs elsewhere): the same id again would fence it in turn, and
  // the two would take turns forever. Zombies stay fenced without it: the
  // broker refuses offsets of an old group generation in a transaction.
  txn_id_suffix_ = "-";
  txn_id_suffix_ += random_hex(8);
  Status s = create_producer();
  if (!s) throw std::runtime_error(s.message());
  // Shutting down (fenced at the last commit): the consumer closes next, and
  // librdkafka asserts when a subscription made just before its close is
  // still there when it is destroyed.
  if (shutdown_.load()) return;
  // Within a rebalance callback: rejoin once it has returned.
  if (in_rebalance_) {
    resubscribe_ = true;
    return;
  }
  rejoin();
}

void StreamThread::rejoin() {
  // Unsubscribing revokes what is still assigned (on_revoked lets it go).
  consumer_->unsubscribe();
  Status s = consumer_->subscribe({rt_.anchor_topic});
  if (!s) throw std::runtime_error(s.message());
  state_ = State::kStarting;
}

void StreamThread::recover(StreamsProducer::TxnError error, const std::string& message) {
  using TxnError = StreamsProducer::TxnError;
  rt_.metrics->aborted_transactions_total.fetch_add(1);
  if (error == TxnError::kFenced) {
    rejoin_after_fence(message);
    return;
  }
  if (error == TxnError::kFatal) {
    std::string ignored;
    producer_->abort_transaction(&ignored);
    throw std::runtime_error(message);
  }
  // A commit that keeps failing (a record the broker always refuses, an
  // authorization error that stays) must not loop for ever while the instance
  // says it runs: give up after task.timeout.ms, as Kafka Streams does.
  auto now = std::chrono::steady_clock::now();
  if (!failing_since_) failing_since_ = now;
  if (now - *failing_since_ >= task_timeout_) {
    throw std::runtime_error(fmt::format(
        "transactions have failed for {} s (task.timeout.ms): {}",
        std::chrono::duration_cast<std::chrono::seconds>(now - *failing_since_).count(), message));
  }
  bool replace_producer = error == TxnError::kProducerLost;
  if (!replace_producer) {
    log::warn("{}: transaction failed ({}); aborting and reverting tasks to their last commit",
              client_id_, message);
    std::string abort_message;
    TxnError r = producer_->abort_transaction(&abort_message);
    if (r == TxnError::kFenced) {
      rejoin_after_fence(abort_message);
      return;
    }
    if (r != TxnError::kNone) {
      // The abort failed too: the transaction's fate is the broker's now.
      log::warn("{}: abort failed ({})", client_id_, abort_message);
      replace_producer = true;
    }
  }
  if (replace_producer) {
    // A new producer with the same transactional.id: its init aborts whatever
    // the old one left open, or waits for a commit in flight to complete. The
    // tasks then resume from what the broker has committed, whichever it was.
    log::warn(
        "{}: transaction failed ({}); replacing the producer and reverting tasks to what "
        "the broker has committed",
        client_id_, message);
    producer_.reset();
    Status s = create_producer();
    if (!s) throw std::runtime_error(s.message());
  }
  // Shutting down: nothing to revive for. The tasks close without their
  // failed transaction; the next owner resumes from the last commit.
  if (shutdown_.load()) {
    tasks_->close_all(false);
  } else {
    revive_tasks();
  }
}

void StreamThread::revive_tasks() {
  // The tasks that processed since the last commit. Those still restoring
  // wrote nothing the failed transaction held (restoration writes go straight
  // to their stores, committed slice by slice): they restore on.
  std::vector<TopicPartition> inputs;
  std::set<TaskId> ids = tasks_->close_running(&inputs);
  if (ids.empty()) return;
  // What the broker has committed, not what this thread believes: after a
  // failed commit, the transaction may have committed after all.
  TopicPartitionOffsets times;
  TopicPartitionOffsets positions = committed_positions(inputs, &times);
  // Rewind the consumer; this also drops what it fetched past those positions.
  Status s = consumer_->seek(positions);
  if (!s) throw std::runtime_error(s.message());
  create_tasks(ids, positions, times, /*after_abort=*/true);
  for (StreamTask* t : tasks_->restoring()) consumer_->pause(tasks_->inputs_of(t->id()));
  log::info("{}: {} tasks reverted to their last commit ({} restoring)", client_id_, ids.size(),
            tasks_->restoring_count());
  if (tasks_->restoring_count() == 0) state_ = State::kRunning;
}

}  // namespace brook
