// CachingStore: a KeyValueBytesStore wrapper that holds the latest value of each
// recently written key and collapses repeated updates between commits: only the
// latest value per key reaches the store below (and so the changelog) and the
// flush listener (and so downstream processors), on flush() or on eviction. Reads
// see through to the store below and keep what they read, clean, in the cache.
// One per task and store; not thread-safe.
#pragma once

#include <list>
#include <memory>
#include <optional>
#include <unordered_map>

#include "state/key_value_bytes_store.h"
#include "state/thread_cache.h"

namespace brook::state {

class CachingStore final : public KeyValueBytesStore {
 public:
  // Called for each dirty entry as it leaves the cache, after it was written to
  // the store below; `value == nullptr` for a delete. RecordTime holds the
  // entry's timestamp during the call.
  using FlushListener = std::function<void(std::string_view key, const std::string_view* value)>;

  // `cache` and `time` are borrowed and must outlive the store.
  CachingStore(std::unique_ptr<KeyValueBytesStore> inner, ThreadCache& cache, RecordTime& time);
  ~CachingStore() override;

  void set_flush_listener(FlushListener listener) { listener_ = std::move(listener); }

  const std::string& name() const override { return inner_->name(); }
  bool get(std::string_view key, std::string* value) override;
  void put(std::string_view key, std::string_view value) override;
  void remove(std::string_view key) override;
  void for_each(const std::function<bool(std::string_view, std::string_view)>& fn) override;
  uint64_t approximate_num_entries() override;
  void flush() override;
  void close() override;

  size_t cached_entries() const { return entries_.size(); }
  // Evicts least recently used entries until the thread cache is within budget
  // or this store is empty; returns whether anything was evicted.
  bool evict_some();

 private:
  struct Entry {
    std::optional<std::string> value;  // nullopt: deleted
    int64_t timestamp = 0;
    bool dirty = false;
    std::list<std::string>::iterator lru;  // position in lru_ (front = oldest)
  };

  void write(std::string_view key, std::optional<std::string_view> value);
  void flush_entry(const std::string& key, Entry& entry);
  void erase(std::unordered_map<std::string, Entry>::iterator it);
  static size_t entry_bytes(const std::string& key, const Entry& e);

  std::unique_ptr<KeyValueBytesStore> inner_;
  ThreadCache& cache_;
  RecordTime& time_;
  FlushListener listener_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> lru_;
  size_t dirty_count_ = 0;
  std::string lookup_;  // reused key buffer for lookups
};

}  // namespace brook::state
