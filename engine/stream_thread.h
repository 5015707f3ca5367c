// StreamThread: one thread of a KafkaStreams instance. Owns a group consumer
// (subscribed to every source topic, range assignment so co-partitioned
// partitions land together), a StreamsProducer, a ChangelogReader and the tasks
// created for its assigned partitions. Loop: poll -> buffer per partition ->
// process each task's records by smallest head timestamp -> commit every
// commit.interval.ms. Rebalancing is eager: revoke commits and closes all tasks.
// Created and controlled by KafkaStreams; its public methods are thread-safe.
#pragma once

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "engine/changelog_reader.h"
#include "engine/fetch_waker.h"
#include "engine/kafka_client.h"
#include "engine/runtime_context.h"
#include "engine/streams_producer.h"

namespace brook {

class StreamThread {
 public:
  enum class State { kCreated, kStarting, kPartitionsAssigned, kRunning, kPendingShutdown, kDead, kError };

  StreamThread(int index, RuntimeContext& runtime);
  ~StreamThread();

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
  struct PartitionState {
    std::string topic;
    int32_t partition = 0;
    StreamTask* task = nullptr;
    SourceNodeBase* source = nullptr;  // the task's node reading this topic
    std::deque<kafka::Message> buffer;
    int64_t next_offset = -1;  // next to process (= offset to commit)
    int64_t committed = -1;
    bool restoring = false;
    bool sole_input = false;  // the task's only input partition: no ordering to do
  };
  using Key = TopicPartition;

  Status subscribe();
  void run();
  void loop_once();
  void fail(const std::string& message);
  static void rebalance_cb(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                           rd_kafka_topic_partition_list_t* partitions, void* opaque);
  void on_assigned(rd_kafka_topic_partition_list_t* partitions);
  // Where each partition resumes: the group's committed offset, or the
  // beginning when it has none. Throws when the broker cannot tell.
  std::map<Key, int64_t> committed_positions(const rd_kafka_topic_partition_list_t* partitions);
  // Creates, opens and starts (or starts restoring) the tasks `ids`, and links
  // their partitions (already in partitions_) to them.
  void create_tasks(const std::set<TaskId>& ids, bool after_abort);
  void on_revoked();
  // The partitions were lost (session expired, group moved on): closes the
  // tasks without committing.
  void on_lost();
  // A task for `id` with its directory locked; its stores are not open yet.
  std::unique_ptr<StreamTask> make_task(const TaskId& id);
  // Initializes `task` (opening its stores unless already open) and starts it,
  // or its restoration.
  void add_task(std::unique_ptr<StreamTask> task, bool after_abort);
  Status create_producer();
  // Exactly-once: after a failed commit, aborts or replaces the producer and
  // revives the tasks (or rejoins, or throws: see StreamsProducer::TxnError).
  void recover(StreamsProducer::TxnError error, const std::string& message, bool revoking);
  // Exactly-once: re-creates the tasks that processed since the last commit
  // from their committed state and rewinds the consumer to the broker's
  // committed offsets. Tasks still restoring are left as they are.
  void revive_tasks();
  // Exactly-once: our producer was fenced; drop the tasks and rejoin.
  void rejoin_after_fence(const std::string& message, bool revoking);
  void set_paused(StreamTask* task, bool paused);
  void route(kafka::Message msg);
  // The consumer reached the end of a partition (its position is in `eof`).
  void at_end_of_partition(const rd_kafka_message_t* eof);
  void process_one(PartitionState& ps, const rd_kafka_message_t* msg);
  // Processes what tasks with several input partitions have buffered.
  void process_buffers();
  // `revoking`: called while partitions are being revoked (no revival then).
  // `enforce_checkpoints`: write every changed checkpoint (revoking, closing).
  void commit_all(bool revoking = false, bool enforce_checkpoints = false);
  // "committed T-P@O ..." at debug level.
  void log_committed(const rd_kafka_topic_partition_list_t* offsets) const;
  // Input positions that moved since the last commit.
  kafka::PartitionList advanced_offsets() const;
  // After a successful commit: record changelog offsets, then checkpoints
  // (at-least-once) or the staged store writes (exactly-once).
  void finish_commit(bool enforce_checkpoints);
  void close_tasks(bool clean);
  void update_bounded_idle();

  int index_;
  RuntimeContext& rt_;
  std::string client_id_;
  kafka::Handle consumer_;
  std::unique_ptr<StreamsProducer> producer_;
  std::unique_ptr<ChangelogReader> reader_;
  std::unique_ptr<state::ThreadCache> cache_;

  std::map<TaskId, std::unique_ptr<StreamTask>> tasks_;
  std::set<StreamTask*> restoring_;
  std::map<Key, PartitionState> partitions_;
  PartitionState* last_routed_ = nullptr;
  const rd_kafka_topic_t* last_routed_rkt_ = nullptr;  // its topic handle
  rd_kafka_queue_t* queue_ = nullptr;  // the consumer queue (owned by librdkafka)
  ssize_t last_poll_count_ = 0;  // messages the last poll returned
  std::unique_ptr<FetchWaker> fetch_waker_;  // librdkafka < 2.1 only
  bool draining_backlog_ = false;  // the last polls returned full batches
  bool assigned_once_ = false;
  std::string txn_id_suffix_;  // set once this thread's producer was fenced
  bool uncommitted_ = false;
  std::chrono::milliseconds commit_interval_{0};
  std::chrono::milliseconds task_timeout_{0};  // task.timeout.ms
  // Since when commits have failed without one succeeding (exactly-once).
  std::optional<std::chrono::steady_clock::time_point> failing_since_;
  std::chrono::steady_clock::time_point last_commit_;
  std::chrono::steady_clock::time_point last_bounded_check_;

  std::thread thread_;
  std::atomic<bool> shutdown_{false};
  std::atomic<State> state_{State::kCreated};
  std::atomic<bool> bounded_idle_{false};
  mutable std::mutex error_mu_;
  std::string error_;
};

}  // namespace brook
