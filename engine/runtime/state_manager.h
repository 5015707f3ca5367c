// ProcessorStateManager: the state of one task — its store stacks, made by a
// state::KeyValueStoreBuilder from the topology's store definitions (bottom
// store, then changelogging, then caching, each a layer the builder adds when
// the definition asks for it), the changelog
// offsets the local stores hold, and making them durable: a checkpoint file
// (at-least-once) or the staged writes of transactional stores, applied with
// their offsets (exactly-once). The ChangelogReader restores through it.
// Owned by its StreamTask; used on the task's thread only, except
// open_stores(), which may run on a helper thread before the task starts.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "brook/metrics.h"
#include "brook/topic_partition.h"
#include "brook/topology.h"
#include "engine/runtime/record_collector.h"
#include "engine/runtime/task_id.h"
#include "state/caching_store.h"
#include "state/checkpoint_file.h"
#include "state/key_value_bytes_store.h"
#include "state/rocksdb_resources.h"
#include "state/session_bytes_store.h"
#include "state/task_directory.h"
#include "state/thread_cache.h"
#include "state/window_bytes_store.h"

namespace brook {

struct TaskOptions;

class ProcessorStateManager {
 public:
  struct Changelog {
    std::string store;
    std::string topic;  // full name
    int32_t partition;
  };

  // Borrowed references must outlive the manager. `directory` may be null when
  // every store is in memory. `record_time`: the task's, which changelogging
  // and caching read the current record's timestamp from.
  ProcessorStateManager(TaskId id, const Topology& topology,
                        const std::vector<std::string>& store_names, const TaskOptions& options,
                        std::unique_ptr<state::TaskDirectory> directory,
                        const state::RocksDbResources* rocksdb, state::ThreadCache& cache,
                        state::RecordTime& record_time, Metrics& metrics);
  ~ProcessorStateManager();

  // Opens the bottom stores (RocksDB files, the slow part). Throws on failure.
  void open_stores();
  // Reads where the stores are (checkpoint or transactional offsets) and
  // stacks changelogging (through `collector`) and caching on them.
  void initialize(RecordCollector& collector);

  // The top of the store's stack, as the task's nodes use it.
  state::KeyValueBytesStore& store(const std::string& name);
  // The record-cache layer of the store's stack, or null (caching off).
  state::CachingStore* record_cache(const std::string& name);
  // The window (session) store view of the named store, one per task and
  // store; throws std::logic_error for a store of another type.
  state::WindowBytesStore& window_store(const std::string& name);
  state::SessionBytesStore& session_store(const std::string& name);

  // Changelogs of the logged stores, and where restoration starts.
  const std::vector<Changelog>& changelogs() const { return changelogs_; }
  const TopicPartitionOffsets& changelog_offsets() const { return changelog_offsets_; }
  // Applies a changelog record below the log and the cache.
  void restore(const std::string& store, std::string_view key, const std::string_view* value) {
    restore_target(store).restore(key, value);
  }
  // The stack a changelog record of `store` is applied through (its restore()
  // reaches the bottom store), looked up once per restoration.
  state::KeyValueBytesStore& restore_target(const std::string& store);
  // Throws away a persistent store's local data (its checkpoint no longer
  // matches the changelog), so restoration starts from scratch.
  void wipe_store(const std::string& store);
  void set_changelog_offset(const TopicPartition& changelog, int64_t next_offset);
  // The same, unless the store is at a later position already.
  void advance_changelog_offset(const TopicPartition& changelog, int64_t next_offset);

  // Flushes every stack (caches first, through the changelog).
  void flush();
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
  // Closes the stores: clean flushes their caches first; dirty drops them.
  void close(bool clean);

 private:
  struct StoreStack;
  class Writer;

  // Wipes stores written under the other guarantee (or an unknown one).
  void check_guarantee_of_directory();

  TaskId id_;
  std::string id_str_;
  const Topology& topology_;
  const std::vector<std::string>& store_names_;
  const TaskOptions& options_;
  std::unique_ptr<state::TaskDirectory> directory_;
  const state::RocksDbResources* rocksdb_;
  state::ThreadCache& cache_;
  state::RecordTime& record_time_;
  Metrics& metrics_;

  std::map<std::string, std::unique_ptr<StoreStack>> stores_;
  std::vector<Changelog> changelogs_;
  TopicPartitionOffsets changelog_offsets_;
  state::ChangelogOffsets checkpointed_;  // what the checkpoint file holds
  bool stores_open_ = false;
};

}  // namespace brook
