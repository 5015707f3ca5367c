// StreamTask: one sub-topology instantiated for one partition number — its own
// processor nodes and state stores — processing records handed to it by its
// stream thread (or by the TopologyTestDriver). Implements TaskContext for its
// nodes. Owned by one thread; not thread-safe.
//
// Commit protocol, driven by the owner: flush() pushes cached updates through the
// stores (and so to changelogs and downstream); the owner then makes the sends
// durable and commits input offsets (at-least-once) or the transaction
// (exactly-once); then write_checkpoint() (at-least-once) records the changelog
// offsets the local stores contain, or commit_stores() (exactly-once) applies
// the staged store writes atomically with those offsets.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "brook/metrics.h"
#include "brook/topology.h"
#include "engine/log.h"
#include "engine/record_collector.h"
#include "engine/task_id.h"
#include "state/caching_store.h"
#include "state/checkpoint_file.h"
#include "state/rocksdb_resources.h"
#include "state/task_directory.h"
#include "state/thread_cache.h"

namespace brook {

// Thrown from the per-record path when the task must stop (log_and_fail).
class TaskFatalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct TaskOptions {
  std::string application_id;
  bool in_memory_stores = false;         // the test driver keeps everything in memory
  bool wall_clock_timestamps = false;
  bool fail_on_deserialization_error = false;
  std::string dead_letter_topic;          // empty: none
  // exactly_once_v2: persistent stores stage writes until commit_stores(),
  // and keep their changelog offsets inside RocksDB instead of a checkpoint.
  bool exactly_once = false;
};

class StreamTask final : public TaskContext {
 public:
  struct Changelog {
    std::string store;
    std::string topic;  // full name
    int32_t partition;
  };

  // Borrowed references must outlive the task. `directory` may be null when
  // every store is in memory.
  StreamTask(TaskId id, const Topology& topology, const Topology::Subtopology& subtopology,
             const TaskOptions& options, RecordCollector& collector,
             std::unique_ptr<state::TaskDirectory> directory,
             const state::RocksDbResources* rocksdb, state::ThreadCache& cache, Metrics& metrics);
  ~StreamTask() override;

  // Opens the stores at the bottom of the task's store stacks — RocksDB files,
  // the slow part of creating a task. Touches nothing but this task and the
  // shared RocksDbResources, so several tasks may open their stores at once, each
  // on its own thread, before initialize(). Throws on failure.
  void open_stores();
  // Creates stores (opening them unless open_stores() did) and nodes, and
  // initializes the nodes; throws on failure.
  void initialize();

  const TaskId& id() const { return id_; }
  // Processes one raw record from `raw.topic` (a full topic name).
  void process(const RawRecord& raw) { process(raw, source(raw.topic)); }
  // The same with the topic's source node, looked up once by the caller.
  void process(const RawRecord& raw, SourceNodeBase* source);
  // The source node reading `topic` (a full topic name); throws if none.
  SourceNodeBase* source(std::string_view topic) const;

  // Changelogs of the logged stores, and where restoration starts (checkpoint).
  const std::vector<Changelog>& changelogs() const { return changelogs_; }
  TopicPartitionOffsets checkpointed_offsets() const;
  // Applies a changelog record to the store below the log and the cache.
  void restore(const std::string& store, std::string_view key, const std::string_view* value);
  // Throws away a persistent store's local data (its checkpoint no longer matches
  // the changelog), so restoration starts from scratch.
  void wipe_store(const std::string& store);
  // The restored or written changelog position of a logged store.
  void set_changelog_offset(const std::string& topic, int32_t partition, int64_t next_offset);
  // The same, unless the store is at a later position already.
  void advance_changelog_offset(const std::string& topic, int32_t partition, int64_t next_offset);

  // Flushes the stores (caches), then the nodes.
  void flush();
  // Passes the wall-clock time (milliseconds) to the nodes.
  void on_wall_clock(int64_t now_ms);
  // Records the changelog offsets in the checkpoint file when they moved by at
  // least kCheckpointDelta records since the last write, or at all when
  // `enforce` (closing, revoking): state::checkpoint_needed.
  static constexpr int64_t kCheckpointDelta = 10000;
  void write_checkpoint(bool enforce);
  // Exactly-once: applies staged writes with the changelog offsets set so far.
  // Also makes restored records durable (both guarantees).
  void commit_stores();
  // Whether the store stages its writes (exactly-once, persistent).
  bool transactional(const std::string& store) const;
  // Flushes (if clean) and closes nodes and stores.
  void close(bool clean);

  // TaskContext
  const std::string& application_id() const override { return options_.application_id; }
  const std::string& task_id() const override { return id_str_; }
  int32_t partition() const override { return id_.partition; }
  int64_t stream_time() const override { return stream_time_; }
  const RecordMetadata* record_metadata() const override {
    return has_metadata_ ? &metadata_ : nullptr;
  }
  state::RecordTime& record_time() override { return record_time_; }
  state::KeyValueBytesStore& store(const std::string& name) override;
  std::string resolve_topic(const std::string& topic, bool internal) const override;
  void send(const OutgoingRecord& record) override;
  void on_deserialization_error(const RawRecord& raw, std::string_view what) override;
  void on_dropped_record(std::string_view node, std::string_view reason) override;
  void request_commit() override { commit_requested_ = true; }
  bool commit_requested() const { return commit_requested_; }
  void clear_commit_request() { commit_requested_ = false; }

 private:
  struct StoreStack;
  class Writer;

  // Wipes stores written under the other guarantee (or an unknown one).
  void check_guarantee_of_directory();
  // The store at the bottom of `s` (RocksDB, transactional RocksDB or memory).
  std::unique_ptr<state::KeyValueBytesStore> open_bottom(StoreStack& s, const std::string& name);
  // Stacks changelogging (s.writer must exist when logged) and caching on `store`.
  void wrap(StoreStack& s, std::unique_ptr<state::KeyValueBytesStore> store);

  TaskId id_;
  std::string id_str_;
  const Topology& topology_;
  const Topology::Subtopology& subtopology_;
  TaskOptions options_;
  RecordCollector& collector_;
  std::unique_ptr<state::TaskDirectory> directory_;
  const state::RocksDbResources* rocksdb_;
  state::ThreadCache& cache_;
  Metrics& metrics_;

  std::map<std::string, std::unique_ptr<StoreStack>> stores_;
  std::vector<Changelog> changelogs_;
  TopicPartitionOffsets changelog_offsets_;
  state::ChangelogOffsets checkpointed_;  // what the checkpoint file holds
  std::vector<std::unique_ptr<NodeBase>> nodes_;
  std::map<std::string, SourceNodeBase*, std::less<>> sources_;  // full topic -> source

  state::RecordTime record_time_;
  int64_t stream_time_ = -1;
  RecordMetadata metadata_;
  bool has_metadata_ = false;
  bool commit_requested_ = false;
  bool stores_open_ = false;
  bool closed_ = false;
  log::RateLimiter error_log_{std::chrono::seconds(10)};
};

}  // namespace brook
