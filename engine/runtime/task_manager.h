// TaskManager: the active tasks of one stream thread (or of the
// TopologyTestDriver) and their lifecycle — taking created tasks, pausing them
// while they restore, routing fetched records to them through each task's
// PartitionGroup, committing all of them in the one commit order, and closing
// them clean or dirty. What is Kafka-specific about a commit (a transaction, an
// offset commit, recovering from a failed one) is the Committer's; what tasks
// exist is decided by the stream thread on rebalances.
// Owned by one thread; not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <utility>
#include <vector>

#include "brook/topic_partition.h"
#include "engine/kafka/kafka_client.h"
#include "engine/runtime/partition_group.h"
#include "engine/runtime/stream_task.h"
#include "engine/runtime/task_id.h"

namespace brook {

class BoundedProgress;
class ChangelogReader;

// A consumed message as a task takes it (`topic`: its topic's name, which
// the record borrows); its headers are read into `headers` when given.
RawRecord to_raw(std::string_view topic, const rd_kafka_message_t* msg, Headers* headers);

class TaskManager {
 public:
  // How a commit makes what the tasks sent durable and commits their input
  // positions with it.
  class Committer {
   public:
    virtual ~Committer() = default;
    enum class Result {
      kCommitted,    // the sends are durable, the input positions committed
      kOutputsOnly,  // the sends are durable; the positions were refused (a
                     // rebalance under way): they go with the next commit, or
                     // the partitions' next owner processes them again
      kFailed,       // nothing may be recorded; the caller recovers the tasks
    };
    // Makes every record the tasks sent durable and commits `inputs` (the input
    // positions that moved): at-least-once flushes the producer, then commits
    // the offsets; exactly-once commits the transaction with them. `times`:
    // each input's partition time, committed in its offset's metadata.
    virtual Result commit_inputs(const TopicPartitionOffsets& inputs,
                                 const TopicPartitionOffsets& times) = 0;
    // Exactly-once: stores stage their writes until the commit (and carry
    // their changelog offsets), instead of writing checkpoints.
    virtual bool transactional() const = 0;
    // A transaction is open: even with no input moved, the positions are sent
    // with it (the broker then checks this member's generation: KIP-447).
    virtual bool in_transaction() const = 0;
  };

  // `reader`, when given, restores the tasks: they leave it when closed.
  TaskManager(int64_t max_task_idle_ms, ChangelogReader* reader)
      : max_idle_ms_(max_task_idle_ms), reader_(reader) {}
  ~TaskManager() { close_all(false); }
  TaskManager(const TaskManager&) = delete;
  TaskManager& operator=(const TaskManager&) = delete;

  // Takes an initialized task and its input partitions, each at the position
  // it resumes from, and with the partition time committed with it, if any
  // (`times`; the task's stream time starts at the largest). A `restoring`
  // task processes nothing until finish_restoring().
  void add(std::unique_ptr<StreamTask> task, const TopicPartitionOffsets& inputs,
           const TopicPartitionOffsets& times, bool restoring);
  bool empty() const { return tasks_.empty(); }
  size_t size() const { return tasks_.size(); }
  size_t restoring_count() const { return restoring_; }
  StreamTask* find(const TaskId& id) const;
  // Calls f(StreamTask&) for every task, restoring or not, in id order.
  template <class F>
  void for_each_task(F&& f) const {
    for (const auto& [id, e] : tasks_) f(*e->task);
  }
  // The input partitions of the task `id`.
  std::vector<TopicPartition> inputs_of(const TaskId& id) const;
  // The restoring tasks.
  std::vector<StreamTask*> restoring() const;
  // `task` is restored: its records are processed from now on. Returns its
  // input partitions (for the consumer to resume).
  std::vector<TopicPartition> finish_restoring(StreamTask& task);

  // Hands a fetched record to its task: processed at once when the task has
  // one input partition, else buffered in its PartitionGroup. Returns whether
  // it was processed. A record of a partition no task reads (revoked
  // meanwhile) or before its position (already processed) is dropped.
  bool route(kafka::Message msg);
  // A multi-input task buffers at most this many records of a partition (a
  // few megabytes; Kafka Streams bounds its buffers too, by
  // input.buffer.max.bytes): then the partition is to be paused until half
  // of them are processed.
  static constexpr size_t kMaxBuffered = 10000;
  // The partitions to pause, and to resume, since the last call.
  std::vector<TopicPartition> take_throttled() { return std::exchange(to_pause_, {}); }
  std::vector<TopicPartition> take_unthrottled() { return std::exchange(to_resume_, {}); }
  // The consumer reached the end of a partition (its position is in `eof`).
  void at_end_of_partition(const rd_kafka_message_t* eof);
  // Processes what the tasks reading several partitions have buffered, in
  // timestamp order. Returns whether any record was processed.
  bool process(int64_t now_ms);
  // Passes the wall-clock time to the running tasks; returns whether one
  // asked for a commit.
  bool punctuate(int64_t now_ms);
  // Records processed since the last commit.
  bool uncommitted() const { return uncommitted_; }
  // A position moved past what was committed without a record processed (past
  // a transaction's marker at a partition's end).
  bool positions_ahead() const;
  // The input partitions of the tasks, running or restoring.
  std::vector<TopicPartition> inputs() const;

  // The commit of every running task, in the one order: flush stores and
  // nodes; commit the sends and input positions (the committer); then record
  // the changelog offsets the stores now hold, and write checkpoints
  // (at-least-once, when they moved enough or `enforce_checkpoints`) or apply
  // the staged store writes (exactly-once). False when the committer failed:
  // nothing is recorded, and the caller recovers the tasks.
  bool commit(Committer& committer, bool enforce_checkpoints);

  // Closes every task (clean: flushed, checkpointed state kept as committed).
  void close_all(bool clean);
  // Closes the tasks `ids` (those it has), as close_all.
  void close_tasks(const std::set<TaskId>& ids, bool clean);
  // Closes, dirty, the tasks that have processed since their last commit (all
  // but those restoring) and returns their ids with their input partitions:
  // reverting after a failed transaction re-creates them.
  std::set<TaskId> close_running(std::vector<TopicPartition>* inputs);

  // Bounded runs: whether records are still due — buffered, or not yet read up
  // to the target.
  bool pending(const BoundedProgress& progress) const;

 private:
  struct Entry {
    std::unique_ptr<StreamTask> task;
    PartitionGroup inputs;
    bool restoring = false;
    explicit Entry(int64_t max_idle_ms) : inputs(max_idle_ms) {}
  };
  struct Route {
    Entry* entry;
    PartitionGroup::Queue* queue;
  };

  void process_one(Entry& e, PartitionGroup::Queue& q, const rd_kafka_message_t* msg);
  // The input positions to commit, and their partition times in `times`.
  TopicPartitionOffsets advanced_offsets(bool in_transaction, TopicPartitionOffsets* times) const;
  void close(Entry& e, bool clean);
  // Closes `task`; a clean close that fails is logged and made dirty.
  static void close_task(StreamTask& task, bool clean);
  // Drops the tasks' entries and routes (closed).
  void forget_running();
  void set_paused(Entry& e, bool paused);

  int64_t max_idle_ms_;
  ChangelogReader* reader_;
  std::map<TaskId, std::unique_ptr<Entry>> tasks_;
  std::map<TopicPartition, Route> routes_;
  std::vector<Entry*> multi_input_;  // tasks whose records are buffered
  size_t restoring_ = 0;
  bool uncommitted_ = false;
  std::vector<TopicPartition> to_pause_, to_resume_;
  // Records come in runs from one partition: the last route, and its topic
  // handle (kept alive by the assignment), spare a lookup by name.
  const Route* last_route_ = nullptr;
  const rd_kafka_topic_t* last_rkt_ = nullptr;
  int32_t last_partition_ = -1;
};

}  // namespace brook
