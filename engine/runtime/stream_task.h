// StreamTask: one sub-topology instantiated for one partition number — its own
// processor nodes and state stores — processing records handed to it by its
// stream thread (or by the TopologyTestDriver). Implements TaskContext for its
// nodes. Owned by one thread; not thread-safe.
//
// Commit protocol, driven by the owner: flush() pushes cached updates through the
// stores (and so to changelogs and downstream); the owner then makes the sends
// durable and commits input offsets (at-least-once) or the transaction
// (exactly-once); then post_commit() takes the changelog offsets its collector
// saw acknowledged and writes a checkpoint (at-least-once) or applies the
// staged store writes atomically with those offsets (exactly-once).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "brook/metrics.h"
#include "brook/topology.h"
#include "engine/common/log.h"
#include "engine/runtime/record_collector.h"
#include "engine/runtime/state_manager.h"
#include "engine/runtime/task_id.h"
#include "engine/runtime/task_options.h"
#include "state/rocksdb_resources.h"
#include "state/task_directory.h"
#include "state/thread_cache.h"

namespace brook {

// Thrown from the per-record path when the task must stop (log_and_fail).
class TaskFatalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class StreamTask final : public TaskContext {
 public:
  using Changelog = ProcessorStateManager::Changelog;

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
  void open_stores() { state_.open_stores(); }
  // Creates stores (opening them unless open_stores() did) and nodes, and
  // initializes the nodes; throws on failure.
  void initialize();

  const TaskId& id() const { return id_; }
  // Processes one raw record from `raw.topic` (a full topic name); returns
  // its timestamp, or -1 when it was skipped.
  int64_t process(const RawRecord& raw) { return process(raw, source(raw.topic)); }
  // The same with the topic's source node, looked up once by the caller.
  int64_t process(const RawRecord& raw, SourceNodeBase* source);
  // The timestamp `raw` will be processed with (for ordering buffered records).
  int64_t timestamp_of(const RawRecord& raw, SourceNodeBase* source);
  // Stream time as committed before (a restart or a move of the task): the
  // largest partition time of its inputs. Only forward.
  void restore_stream_time(int64_t time) { advance_stream_time(time); }
  // The source node reading `topic` (a full topic name); throws if none.
  SourceNodeBase* source(std::string_view topic) const;

  // Changelogs of the logged stores, and where restoration starts (checkpoint).
  // (The task's state: see ProcessorStateManager.)
  const std::vector<Changelog>& changelogs() const { return state_.changelogs(); }
  const TopicPartitionOffsets& checkpointed_offsets() const { return state_.changelog_offsets(); }
  // Applies a changelog record to the store below the log and the cache.
  void restore(const std::string& store, std::string_view key, const std::string_view* value) {
    state_.restore(store, key, value);
  }
  void wipe_store(const std::string& store) { state_.wipe_store(store); }
  // The restored or written changelog position of a logged store.
  void set_changelog_offset(const std::string& topic, int32_t partition, int64_t next_offset) {
    state_.set_changelog_offset(TopicPartition{topic, partition}, next_offset);
  }
  ProcessorStateManager& state() { return state_; }

  // Flushes the stores (caches), then the nodes.
  void flush();
  // Passes the wall-clock time (milliseconds) to the nodes.
  void on_wall_clock(int64_t now_ms);
  // After a commit: the changelog offsets the task's own collector saw
  // acknowledged become the stores' (only forward: a write of this thread may
  // predate the task's restoration to a later offset, when the task left and
  // came back), then a checkpoint is written (at-least-once: when they moved
  // enough, or `enforce_checkpoints`) or the staged writes are applied
  // (`transactional`, exactly-once).
  void post_commit(bool enforce_checkpoints, bool transactional);
  void commit_stores() { state_.commit_stores(); }
  // A standby's commit: what restore() applied becomes durable with the
  // changelog offsets set (staged writes applied, or a checkpoint written).
  void commit_standby(bool enforce_checkpoint) {
    state_.commit_stores();
    state_.write_checkpoint(enforce_checkpoint);
  }
  bool transactional(const std::string& store) const { return state_.transactional(store); }
  // Flushes (if clean) and closes nodes and stores.
  void close(bool clean);

  // TaskContext
  const std::string& application_id() const override { return options_.application_id; }
  const std::string& task_id() const override { return id_str_; }
  int32_t partition() const override { return id_.partition; }
  int64_t stream_time() const override { return stream_time_; }
  void advance_stream_time(int64_t timestamp) override {
    if (timestamp > stream_time_) stream_time_ = timestamp;
  }
  const RecordMetadata* record_metadata() const override {
    return has_metadata_ ? &metadata_ : nullptr;
  }
  state::RecordTime& record_time() override { return record_time_; }
  state::KeyValueBytesStore& store(const std::string& name) override { return state_.store(name); }
  state::CachingStore* record_cache(const std::string& name) override {
    return state_.record_cache(name);
  }
  state::WindowBytesStore& window_store(const std::string& name) override {
    return state_.window_store(name);
  }
  state::SessionBytesStore& session_store(const std::string& name) override {
    return state_.session_store(name);
  }
  std::string resolve_topic(const std::string& topic, bool internal) const override;
  void send(const OutgoingRecord& record) override;
  void on_deserialization_error(const RawRecord& raw, std::string_view what) override;
  void on_dropped_record(std::string_view node, std::string_view reason) override;
  void request_commit() override { commit_requested_ = true; }
  std::shared_ptr<void>& shared_slot(const std::string& key) override { return shared_[key]; }
  std::shared_ptr<bool> schedule(int64_t interval_ms, bool stream_time,
                                 std::function<void(int64_t)> fn) override;
  bool commit_requested() const { return commit_requested_; }
  void clear_commit_request() { commit_requested_ = false; }

 private:
  TaskId id_;
  std::string id_str_;
  const Topology& topology_;
  const Topology::Subtopology& subtopology_;
  TaskOptions options_;
  RecordCollector& collector_;
  Metrics& metrics_;
  state::RecordTime record_time_;
  ProcessorStateManager state_;  // after record_time_, which its stores read

  std::vector<std::unique_ptr<NodeBase>> nodes_;
  std::map<std::string, SourceNodeBase*, std::less<>> sources_;  // full topic -> source

  std::map<std::string, std::shared_ptr<void>> shared_;  // TaskContext::shared_state
  struct Punctuation {
    int64_t interval;
    bool stream_time;
    int64_t next;  // -1 for a wall-clock one not yet started
    std::function<void(int64_t)> fn;
    std::shared_ptr<bool> cancelled;
  };
  std::vector<Punctuation> punctuations_;
  // Fires the punctuations of that kind due at `now`.
  void punctuate(bool stream_time, int64_t now);
  int64_t stream_time_ = -1;
  RecordMetadata metadata_;
  bool has_metadata_ = false;
  bool commit_requested_ = false;
  Sensor* process_sensor_ = nullptr;  // metrics.recording.level=DEBUG only
  bool closed_ = false;
  log::RateLimiter error_log_{std::chrono::seconds(10)};
};

}  // namespace brook
