// StreamThread: one thread of a KafkaStreams instance. Drives the loop — poll
// the group consumer, hand records to the tasks, restore, punctuate, commit
// every commit.interval.ms — and turns rebalances into task changes. What it
// owns: a GroupConsumer (subscribed to one anchor topic: its partition p
// brings task p of every sub-topology, and the task reads partition p of its
// sub-topology's sources), a StreamsProducer, a
// ChangelogReader, the record cache, a TaskCreator making tasks and a
// TaskManager holding them.
// It is the TaskManager's Committer: offsets and transactions, and recovering
// when a transaction fails, are Kafka's and so the thread's. Rebalancing is
// cooperative and sticky: a revocation commits and closes only the tasks that
// move, an assignment adds tasks; the others run on throughout. With
// num.standby.replicas > 0 it also keeps standby tasks, placed after each
// rebalance (standby_placement.h).
// Created and controlled by KafkaStreams; its public methods are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "engine/kafka/fetch_waker.h"
#include "engine/kafka/group_consumer.h"
#include "engine/kafka/streams_producer.h"
#include "engine/runtime/changelog_reader.h"
#include "engine/runtime/runtime_context.h"
#include "engine/runtime/task_creator.h"
#include "engine/runtime/task_manager.h"

namespace brook {

class StreamThread final : private GroupConsumer::Listener,
                           private TaskManager::Committer,
                           private RecordCollector {
 public:
  enum class State {
    kCreated,
    kStarting,
    kPartitionsAssigned,
    kRunning,
    kPendingShutdown,
    kDead,
    kError
  };

  StreamThread(int index, RuntimeContext& runtime);
  ~StreamThread() override;

  // Creates the thread's clients (a transactional producer initializes its
  // transactions here, which takes a broker round trip or more).
  Status init();
  // Subscribes to the source topics and starts the loop. KafkaStreams inits
  // every thread before starting any, so that an instance's consumers join
  // the group together, in one rebalance.
  Status start();
  void request_shutdown() { shutdown_.store(true); }
  void join();

  State state() const { return state_.load(); }
  std::string error() const;
  // Bounded run: every assigned partition is processed up to its target and
  // committed.
  bool bounded_idle() const { return bounded_idle_.load(); }

 private:
  void run();
  void loop_once();
  void fail(const std::string& message);
  // Hands a polled message to the tasks (or handles the consumer error it is).
  void route(kafka::Message msg);
  // Restores tasks and updates standbys for up to `budget`.
  void restore_tasks(std::chrono::milliseconds budget);
  // Standby replicas (num.standby.replicas > 0): asks the group who owns what
  // and keeps this thread's share of standbys (standby_placement.h): those no
  // longer placed here are closed, new ones opened and tailed.
  void place_standbys();
  // Commits and closes the standbys `ids` (all when empty): a task this
  // thread is given opens its stores from the standby's state.
  void close_standbys(const std::set<TaskId>& ids = {});
  void close_standby(StreamTask& task);
  Status create_producer();

  // GroupConsumer::Listener
  void on_assigned(const std::vector<TopicPartition>& added) override;
  std::vector<TopicPartition> on_revoked(const std::vector<TopicPartition>& revoked) override;
  std::vector<TopicPartition> on_lost(const std::vector<TopicPartition>& lost) override;
  void on_rebalance_failed(const std::string& message) override { fail(message); }

  // The input partitions of task `id`: partition p of each of its
  // sub-topology's source topics that has one.
  std::vector<TopicPartition> inputs_of(const TaskId& id) const;
  // The tasks assigned or revoked partitions of the anchor topic bring.
  std::set<TaskId> tasks_of(const std::vector<TopicPartition>& anchors) const;
  // Forgets the tasks `ids` as assigned; returns their input partitions.
  std::vector<TopicPartition> release(const std::set<TaskId>& ids);
  // What the consumer reads: the input partitions of the assigned tasks.
  std::vector<TopicPartition> assigned_partitions() const;
  // Creates and opens the tasks `ids` (restoring or running), their inputs
  // at `positions`.
  void create_tasks(const std::set<TaskId>& ids, const TopicPartitionOffsets& positions,
                    const TopicPartitionOffsets& times, bool after_abort);
  // The group's committed positions of `partitions`, and in `times` the
  // partition times committed with them.
  TopicPartitionOffsets committed_positions(const std::vector<TopicPartition>& partitions,
                                            TopicPartitionOffsets* times);

  // Commits every task (TaskManager::commit, with this thread as committer),
  // and recovers when the commit fails. `enforce_checkpoints`: write every
  // changed checkpoint (revoking, closing).
  void commit_all(bool enforce_checkpoints = false);
  // TaskManager::Committer
  Result commit_inputs(const TopicPartitionOffsets& inputs,
                       const TopicPartitionOffsets& times) override;
  bool transactional() const override { return producer_->transactional(); }
  bool in_transaction() const override { return producer_->in_transaction(); }
  // RecordCollector, for the tasks: sends through the current producer (which
  // a failed transaction may replace under tasks that are still restoring).
  void send(const OutgoingRecord& record, int32_t partition) override {
    producer_->send(record, partition);
  }
  int64_t changelog_end(const TopicPartition& changelog) const override {
    return producer_->changelog_end(changelog);
  }
  // "committed T-P@O ..." at debug level.
  void log_committed(const TopicPartitionOffsets& offsets) const;

  // Exactly-once: after a failed commit, aborts or replaces the producer and
  // reverts the tasks (or rejoins, or throws: see StreamsProducer::TxnError).
  void recover(StreamsProducer::TxnError error, const std::string& message);
  // Exactly-once: re-creates the tasks that processed since the last commit
  // from their committed state and rewinds the consumer to the broker's
  // committed offsets. Tasks still restoring are left as they are.
  void revive_tasks();
  // Exactly-once: our producer was fenced; drop the tasks and rejoin (after
  // the rebalance callback, when called from one).
  void rejoin_after_fence(const std::string& message);
  // Leaves the group and joins it again.
  void rejoin();
  void update_bounded_idle();

  int index_;
  RuntimeContext& rt_;
  std::string client_id_;
  std::unique_ptr<GroupConsumer> consumer_;
  std::unique_ptr<StreamsProducer> producer_;
  std::unique_ptr<ChangelogReader> reader_;
  std::unique_ptr<state::ThreadCache> cache_;
  std::unique_ptr<TaskCreator> creator_;
  std::unique_ptr<TaskManager> tasks_;  // after reader_ and cache_: its tasks use them
  // The tasks the group assigned here and the partitions the consumer reads
  // for them (whether or not the task is open: a failed commit may close it).
  std::map<TaskId, std::vector<TopicPartition>> assigned_;
  bool in_rebalance_ = false;  // within a commit of on_revoked or on_lost
  bool resubscribe_ = false;   // fenced within a rebalance callback: rejoin after it
  // Standby tasks: stores open, never processing, their changelogs tailed by reader_.
  std::map<TaskId, std::unique_ptr<StreamTask>> standbys_;
  // When to (re)compute this thread's standbys: after an assignment, and again
  // while the group is not stable or cannot be described.
  std::optional<std::chrono::steady_clock::time_point> placement_due_;
  std::unique_ptr<FetchWaker> fetch_waker_;  // librdkafka < 2.1 only

  ssize_t last_poll_count_ = 0;    // messages the last poll returned
  bool draining_backlog_ = false;  // the last polls returned full batches
  bool assigned_once_ = false;
  std::string txn_id_suffix_;  // set once this thread's producer was fenced
  std::chrono::milliseconds commit_interval_{0};
  std::chrono::milliseconds task_timeout_{0};  // task.timeout.ms
  // The last failed transaction, for recover().
  StreamsProducer::TxnError txn_error_ = StreamsProducer::TxnError::kNone;
  std::string txn_message_;
  // Since when commits have failed without one succeeding (exactly-once).
  std::optional<std::chrono::steady_clock::time_point> failing_since_;
  std::chrono::steady_clock::time_point last_commit_;
  Sensor* commit_sensor_ = nullptr;  // commits and their latency
  std::chrono::steady_clock::time_point last_bounded_check_;

  std::thread thread_;
  std::atomic<bool> shutdown_{false};
  std::atomic<State> state_{State::kCreated};
  std::atomic<bool> bounded_idle_{false};
  mutable std::mutex error_mu_;
  std::string error_;
};

}  // namespace brook
