// CachingStore: a KeyValueBytesStore wrapper that holds the latest value of each
// recently written key and collapses repeated updates between commits: only the
// latest value per key reaches the store below (and so the changelog) and the
// flush listener (and so downstream processors), on flush() or on eviction. Reads
// see through to the store below and keep what they read, clean, in the cache.
// One per task and store; not thread-safe.
//
// Typed stores (KeyValueStore<K,V>) may keep a written value deserialized, as a
// CachedObject: a read-modify-write of the same key (an aggregation) then costs
// no decoding and no encoding until the entry leaves the cache, or is read as
// bytes, when the object writes its bytes once.
#pragma once

#include <list>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>

#include "state/key_value_bytes_store.h"
#include "state/thread_cache.h"

namespace brook::state {

// A value held deserialized by a CachingStore. `type()` identifies the concrete
// class (one tag per value type), so that typed readers can tell their own.
class CachedObject {
 public:
  virtual ~CachedObject() = default;
  virtual const void* type() const = 0;
  virtual void serialize(std::string* out) const = 0;
};

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
  // Instead: called with the value the store below held before (null when
  // none), which the flush reads from it first (a lookup per flushed entry, as
  // Kafka Streams' cache pays when a table sends old values).
  using ChangeListener = std::function<void(std::string_view key, const std::string_view* value,
                                            const std::string_view* old_value)>;
  void set_change_listener(ChangeListener listener) {
    listener_ = nullptr;
    change_listener_ = std::move(listener);
  }

  const std::string& name() const override { return inner_->name(); }
  bool get(std::string_view key, std::string* value) override;
  void put(std::string_view key, std::string_view value) override;
  void remove(std::string_view key) override;
  void scan(const KeyRange& range, const EntryFn& fn) override;
  uint64_t approximate_num_entries() override;
  void flush() override;
  // Below the cache: an entry cached for the key (none while a task restores)
  // is dropped first, so reads see the restored value.
  void restore(std::string_view key, const std::string_view* value) override;
  bool transactional() const override { return inner_->transactional(); }
  void commit(const TopicPartitionOffsets& offsets) override { inner_->commit(offsets); }
  TopicPartitionOffsets committed_offsets() override { return inner_->committed_offsets(); }
  void wipe() override;
  void close() override;
  void discard() override;

  bool enabled() const { return cache_.enabled(); }
  // The key's cached object, or null when the key is not cached, is deleted, or
  // is cached as bytes only.
  CachedObject* find_object(std::string_view key);
  // Writes the key's value as an object: `update(slot)` leaves the new value in
  // `slot`, which holds the key's current object or null. Requires enabled().
  template <class Update>
  void put_object(std::string_view key, Update&& update) {
    auto it = begin_write(key);
    update(it->second.object);
    it->second.stale = true;
    end_write(it);
  }
  // Changes in place the object cached for `key`, found with one lookup:
  // update(CachedObject&) -> bool, false to decline (an object of another type,
  // left as it was). Returns whether it changed it; the entry is then written,
  // as after put_object. Without an object for `key`, returns false. If `update`
  // throws, the entry is dropped, dirty or not (the object may be half-changed):
  // the task is failing, and will process its input again from its last commit.
  template <class Update>
  bool update_object(std::string_view key, Update&& update) {
    auto it = find(key);
    if (it == entries_.end() || !it->second.object) return false;
    try {
      if (!update(*it->second.object)) return false;
    } catch (...) {
      erase(it);
      throw;
    }
    rewrite(it);
    it->second.stale = true;
    end_write(it);
    return true;
  }

  size_t cached_entries() const { return entries_.size(); }
  // Evicts least recently used entries until the thread cache is within budget
  // or this store is empty; returns whether anything was evicted.
  bool evict_some();

 private:
  struct Entry {
    std::optional<std::string> value;      // the bytes; nullopt (and no object): deleted
    std::unique_ptr<CachedObject> object;  // the value deserialized, if written so
    bool stale = false;                    // `object` is newer than `value`
    int64_t timestamp = 0;
    bool dirty = false;
    std::list<std::string>::iterator lru;  // position in lru_ (front = oldest)
  };
  using Entries = std::unordered_map<std::string, Entry>;

  // A write of `key`: finds or creates its entry (taken out of the budget), and
  // then marks it dirty, returns it to the budget and evicts what is over it.
  // The entry of `key` (or end()); lookup_ then holds the key.
  Entries::iterator find(std::string_view key);
  // Makes an existing entry the most recent and takes it out of the budget
  // until end_write counts it again.
  void rewrite(Entries::iterator it);
  Entries::iterator begin_write(std::string_view key);
  void end_write(Entries::iterator it);
  void write(std::string_view key, std::optional<std::string_view> value);
  // Brings an entry's bytes up to date with its object.
  void materialize(Entries::iterator it) { materialize(it->first, it->second); }
  void materialize(std::string_view key, Entry& e);
  // The entry became dirty, or clean (or left): the sorted index of dirty
  // keys follows, once a scan has asked for it.
  void index_dirty(std::string_view key, Entry* e) {
    if (indexed_) dirty_index_.emplace(key, e);
  }
  void unindex_dirty(std::string_view key) {
    if (indexed_) dirty_index_.erase(key);
  }
  void flush_entry(Entries::iterator it);
  void erase(Entries::iterator it);
  static size_t entry_bytes(size_t key_size, const Entry& e);

  std::unique_ptr<KeyValueBytesStore> inner_;
  ThreadCache& cache_;
  RecordTime& time_;
  FlushListener listener_;
  ChangeListener change_listener_;
  Entries entries_;
  std::list<std::string> lru_;
  size_t dirty_count_ = 0;
  // The dirty entries by key, for range scans; kept only once a scan needed
  // it (the stores of aggregations never scan, and pay nothing for it).
  std::map<std::string_view, Entry*> dirty_index_;
  bool indexed_ = false;
  std::string lookup_;  // reused key buffer for lookups
};

}  // namespace brook::state
