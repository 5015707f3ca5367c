// KeyValueBytesStore: the byte-level key-value store interface that every store
// layer implements (RocksDB, in-memory, changelogging, caching). Typed access for
// processors is brook::KeyValueStore<K,V> in the engine, which serializes around
// this interface. Layers are stacked as wrappers, never as flags:
// Caching(Changelogging(RocksDB)).
//
// A store belongs to one task, which belongs to one stream thread: not thread-safe.
// I/O failures throw StateStoreError (a store that cannot write cannot go on; the
// stream thread turns it into the ERROR state).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace brook::state {

class StateStoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The timestamp of the record a task is processing. Owned by the task; wrappers
// read it to stamp changelog records, and the cache sets it while it flushes an
// entry so that everything downstream sees that entry's own timestamp.
struct RecordTime {
  int64_t timestamp = 0;
};

class CachingStore;

class KeyValueBytesStore {
 public:
  virtual ~KeyValueBytesStore() = default;

  virtual const std::string& name() const = 0;

  // Copies the value of `key` into `*value` and returns true, or returns false.
  virtual bool get(std::string_view key, std::string* value) = 0;
  virtual void put(std::string_view key, std::string_view value) = 0;
  virtual void remove(std::string_view key) = 0;

  // Calls `fn` for every entry in key order; stops early when `fn` returns false.
  virtual void for_each(const std::function<bool(std::string_view, std::string_view)>& fn) = 0;
  virtual uint64_t approximate_num_entries() = 0;

  // Makes everything written so far durable in this layer and those below it.
  virtual void flush() = 0;
  // Drops every entry of this layer and those below it, logging nothing and
  // forwarding nothing: the store is about to be rebuilt from its changelog.
  // The stack stays the same objects, so what holds it (a task's nodes) need
  // not know. Throws StateStoreError on I/O failure.
  virtual void wipe() = 0;
  virtual void close() = 0;

  // This layer as a record cache (CachingStore), or null.
  virtual CachingStore* as_cache() { return nullptr; }
};

}  // namespace brook::state
