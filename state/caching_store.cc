#include "state/caching_store.h"

#include <map>

namespace brook::state {

// Approximate per-entry overhead (hash node, list node, bookkeeping).
static constexpr size_t kEntryOverhead = 64;

CachingStore::CachingStore(std::unique_ptr<KeyValueBytesStore> inner, ThreadCache& cache,
                           RecordTime& time)
    : inner_(std::move(inner)), cache_(cache), time_(time) {
  cache_.register_store(this);
}

CachingStore::~CachingStore() {
  // Entries dropped unflushed (a task closed uncleanly) leave the budget too.
  for (const auto& [key, e] : entries_) cache_.sub(entry_bytes(key.size(), e));
  cache_.unregister_store(this);
}

// What an object never yet serialized is assumed to take.
static constexpr size_t kObjectEstimate = 64;

size_t CachingStore::entry_bytes(size_t key_size, const Entry& e) {
  // An object counts as its last bytes (the size it had when read or flushed).
  size_t value = e.value ? e.value->size() : e.object ? kObjectEstimate : 0;
  return key_size + value + kEntryOverhead;
}

void CachingStore::materialize(std::string_view key, Entry& e) {
  if (!e.stale) return;
  cache_.sub(entry_bytes(key.size(), e));
  if (!e.value) e.value.emplace();
  e.object->serialize(&*e.value);
  e.stale = false;
  cache_.add(entry_bytes(key.size(), e));
}

CachingStore::Entries::iterator CachingStore::find(std::string_view key) {
  lookup_.assign(key);
  return entries_.find(lookup_);
}

CachedObject* CachingStore::find_object(std::string_view key) {
  auto it = find(key);
  if (it == entries_.end() || !it->second.object) return nullptr;
  lru_.splice(lru_.end(), lru_, it->second.lru);
  return it->second.object.get();
}

bool CachingStore::get(std::string_view key, std::string* value) {
  auto it = find(key);
  if (it != entries_.end()) {
    lru_.splice(lru_.end(), lru_, it->second.lru);
    materialize(it);
    if (!it->second.value) return false;
    value->assign(*it->second.value);
    return true;
  }
  if (!inner_->get(key, value)) return false;
  if (cache_.enabled()) {
    // Keep what was read, clean: the read-modify-write of an aggregation then
    // hits the cache on its write.
    Entry e;
    e.value = *value;
    e.timestamp = time_.timestamp;
    e.lru = lru_.insert(lru_.end(), lookup_);
    cache_.add(entry_bytes(lookup_.size(), e));
    entries_.emplace(lookup_, std::move(e));
    cache_.evict(this);
  }
  return true;
}

void CachingStore::put(std::string_view key, std::string_view value) { write(key, value); }

void CachingStore::remove(std::string_view key) { write(key, std::nullopt); }

void CachingStore::rewrite(Entries::iterator it) {
  cache_.sub(entry_bytes(it->first.size(), it->second));
  lru_.splice(lru_.end(), lru_, it->second.lru);
}

CachingStore::Entries::iterator CachingStore::begin_write(std::string_view key) {
  auto it = find(key);
  if (it == entries_.end()) {
    Entry e;
    e.lru = lru_.insert(lru_.end(), lookup_);
    it = entries_.emplace(lookup_, std::move(e)).first;
  } else {
    rewrite(it);
  }
  return it;
}

void CachingStore::write(std::string_view key, std::optional<std::string_view> value) {
  auto it = begin_write(key);
  Entry& e = it->second;
  if (value) {
    if (e.value) {
      e.value->assign(*value);
    } else {
      e.value.emplace(*value);
    }
  } else {
    e.value.reset();
  }
  e.object.reset();  // the bytes are the value now
  e.stale = false;
  end_write(it);
}

void CachingStore::end_write(Entries::iterator it) {
  Entry& e = it->second;
  e.timestamp = time_.timestamp;
  if (!e.dirty) {
    e.dirty = true;
    ++dirty_count_;
    index_dirty(it->first, &e);
  }
  cache_.add(entry_bytes(it->first.size(), e));
  if (!cache_.enabled()) {
    // No budget: every write goes straight through.
    flush_entry(it);
    erase(it);
    return;
  }
  cache_.evict(this);
}

void CachingStore::flush_entry(Entries::iterator it) {
  Entry& e = it->second;
  if (!e.dirty) return;
  materialize(it);
  const std::string& key = it->first;
  e.dirty = false;
  --dirty_count_;
  unindex_dirty(key);
  int64_t saved = time_.timestamp;
  time_.timestamp = e.timestamp;
  std::string old;
  bool had_old = change_listener_ && inner_->get(key, &old);
  std::string_view old_view = old;
  const std::string_view* old_value = had_old ? &old_view : nullptr;
  if (e.value) {
    inner_->put(key, *e.value);
    std::string_view v = *e.value;
    if (listener_) listener_(key, &v);
    if (change_listener_) change_listener_(key, &v, old_value);
  } else {
    inner_->remove(key);
    if (listener_) listener_(key, nullptr);
    if (change_listener_) change_listener_(key, nullptr, old_value);
  }
  time_.timestamp = saved;
}

void CachingStore::restore(std::string_view key, const std::string_view* value) {
  auto it = find(key);
  if (it != entries_.end()) erase(it);
  inner_->restore(key, value);
}

void CachingStore::erase(Entries::iterator it) {
  cache_.sub(entry_bytes(it->first.size(), it->second));
  if (it->second.dirty) {
    --dirty_count_;
    unindex_dirty(it->first);
  }
  lru_.erase(it->second.lru);
  entries_.erase(it);
}

bool CachingStore::evict_some() {
  bool evicted = false;
  while (cache_.over_budget() && !lru_.empty()) {
    auto it = entries_.find(lru_.front());
    // The listener may forward downstream and write to other stores, but never
    // to this one's entry being evicted.
    flush_entry(it);
    erase(it);
    evicted = true;
  }
  return evicted;
}

void CachingStore::scan(const KeyRange& range, const EntryFn& fn) {
  if (!indexed_) {
    for (auto& [key, e] : entries_) {
      if (e.dirty) dirty_index_.emplace(key, &e);
    }
    indexed_ = true;
  }
  // The range's dirty entries merged over the store below as it streams, in
  // key order. Each is looked up after the last one's key (and copied), so
  // that what `fn` does to the cache (a read that evicts) cannot invalidate
  // the walk; a scan that stops early reads no more of them.
  struct Next {
    bool valid = false;
    std::string key;
    std::optional<std::string> value;
  } next;
  bool started = false;
  auto advance = [&] {
    auto d = !started ? (range.from ? dirty_index_.lower_bound(*range.from) : dirty_index_.begin())
                      : dirty_index_.upper_bound(next.key);
    started = true;
    next.valid = d != dirty_index_.end() && !range.past(d->first);
    if (!next.valid) return;
    materialize(d->first, *d->second);
    next.key.assign(d->first);
    next.value = d->second->value;
  };
  advance();
  bool go = true;
  // Emits the dirty entries before `key` (all when null); false once fn stops.
  auto emit_dirty_before = [&](const std::string_view* key) {
    for (; next.valid && (!key || next.key < *key); advance()) {
      if (next.value && !fn(next.key, *next.value)) return false;
    }
    return true;
  };
  inner_->scan(range, [&](std::string_view k, std::string_view v) {
    if (!emit_dirty_before(&k)) return go = false;
    if (next.valid && next.key == k) {
      // The cache's newer value (or delete) of this key.
      bool ok = !next.value || fn(next.key, *next.value);
      advance();
      return go = ok;
    }
    return go = fn(k, v);
  });
  if (go) emit_dirty_before(nullptr);
}

uint64_t CachingStore::approximate_num_entries() {
  return inner_->approximate_num_entries() + dirty_count_;
}

void CachingStore::flush() {
  if (dirty_count_ > 0) {
    // Flush in least-recently-used order, as updates happened.
    for (const std::string& key : lru_) {
      flush_entry(entries_.find(key));
    }
  }
  inner_->flush();
}

void CachingStore::wipe() {
  // Dirty entries too: what they hold is to come from the changelog now.
  while (!lru_.empty()) erase(entries_.find(lru_.front()));
  inner_->wipe();
}

void CachingStore::discard() {
  while (!lru_.empty()) erase(entries_.find(lru_.front()));
  inner_->discard();
}

void CachingStore::close() {
  flush();
  while (!lru_.empty()) erase(entries_.find(lru_.front()));
  inner_->close();
}

}  // namespace brook::state
