// KeyValueStoreBuilder: how a task's key-value store is made — the bottom
// store (RocksDB; RocksDB staging writes until commit, for exactly-once; or
// memory), then each wrapper asked for, stacked in Kafka Streams' order:
// Metered(Caching(Changelogging(Segmented(bottom)))), Segmented for window
// and session stores only. Every feature of a store is a layer the
// builder adds, never a flag inside a store.
//
// Two steps, because opening RocksDB files is slow and may run on a helper
// thread before the task exists: open() makes the bottom, stack() wraps it.
// A builder is configured and used by one thread at a time.
#pragma once

#include <memory>
#include <string>

#include "brook/metrics.h"
#include "state/key_value_bytes_store.h"
#include "state/rocksdb_resources.h"
#include "state/thread_cache.h"
#include "state/time_segments.h"

namespace brook::state {

class CachingStore;
class ChangelogWriter;

class KeyValueStoreBuilder {
 public:
  explicit KeyValueStoreBuilder(std::string name) : name_(std::move(name)) {}

  // Kept in RocksDB at `path` (else in memory). `staging`: writes are staged
  // until commit() and applied with their changelog offsets (exactly-once).
  KeyValueStoreBuilder& persistent(std::string path, const RocksDbResources& resources,
                                   bool staging) {
    path_ = std::move(path);
    resources_ = &resources;
    staging_ = staging;
    return *this;
  }
  // Every write and delete is sent to `writer` (the store's changelog), with
  // the time of the record being processed.
  KeyValueStoreBuilder& logged(ChangelogWriter& writer, RecordTime& time) {
    writer_ = &writer;
    time_ = &time;
    return *this;
  }
  // Updates collapse per key in `cache` until a flush or an eviction.
  KeyValueStoreBuilder& cached(ThreadCache& cache, RecordTime& time) {
    cache_ = &cache;
    time_ = &time;
    return *this;
  }

  // A window or session store: keys begin with a time segment (the schema's
  // time_of gives a key's time); segments past `retention_ms` are dropped.
  KeyValueStoreBuilder& segmented(int64_t (*time_of)(std::string_view), TimeSegments segments,
                                  int64_t retention_ms) {
    time_of_ = time_of;
    segments_ = segments;
    retention_ms_ = retention_ms;
    return *this;
  }

  // Outermost: every operation counted and timed in `registry`, with `tags`.
  KeyValueStoreBuilder& metered(MetricsRegistry& registry, MetricTags tags) {
    registry_ = &registry;
    tags_ = std::move(tags);
    return *this;
  }

  const std::string& name() const { return name_; }
  bool is_persistent() const { return resources_ != nullptr; }

  // The bottom store, opened. Throws StateStoreError when it cannot open.
  std::unique_ptr<KeyValueBytesStore> open() const;
  // `bottom` (from open()) with the wrappers asked for. `*cache`, when given,
  // is set to the record-cache layer it added (null when none): typed access
  // keeps values deserialized there.
  std::unique_ptr<KeyValueBytesStore> stack(std::unique_ptr<KeyValueBytesStore> bottom,
                                            CachingStore** cache = nullptr) const;

 private:
  std::string name_;
  std::string path_;
  const RocksDbResources* resources_ = nullptr;
  bool staging_ = false;
  ChangelogWriter* writer_ = nullptr;
  ThreadCache* cache_ = nullptr;
  RecordTime* time_ = nullptr;
  MetricsRegistry* registry_ = nullptr;
  MetricTags tags_;
  int64_t (*time_of_)(std::string_view) = nullptr;
  TimeSegments segments_;
  int64_t retention_ms_ = 0;
};

}  // namespace brook::state
