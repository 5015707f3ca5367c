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
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "brook/topic_partition.h"

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

// Keys from `from` (inclusive) up to `to` (exclusive), in byte order; an absent
// bound is open. A plain value.
struct KeyRange {
  std::optional<std::string> from;
  std::optional<std::string> to;

  // Every key.
  static KeyRange all() { return {}; }
  // From `from` to `to`, both inclusive, as Kafka Streams' range(from, to).
  static KeyRange closed(std::string_view from, std::string_view to) {
    // The smallest key after `to` is `to` followed by a zero byte.
    std::string after(to);
    after.push_back('\0');
    return KeyRange{std::string(from), std::move(after)};
  }
  // Every key that starts with `prefix` (Kafka Streams' prefixScan).
  static KeyRange prefix(std::string_view prefix) {
    KeyRange r{std::string(prefix), std::string(prefix)};
    // The first key after the prefix's keys: the prefix with its last byte
    // below 0xff raised by one (and what follows it dropped). None for a prefix
    // of 0xff bytes only: every later key starts with it.
    std::string& to = *r.to;
    while (!to.empty() && static_cast<unsigned char>(to.back()) == 0xff) to.pop_back();
    if (to.empty()) {
      r.to.reset();
    } else {
      to.back() = static_cast<char>(static_cast<unsigned char>(to.back()) + 1);
    }
    return r;
  }
  bool contains(std::string_view key) const {
    return (!from || key >= *from) && (!to || key < *to);
  }
  // Whether `key`, met in order, is past the range (a scan can stop).
  bool past(std::string_view key) const { return to && key >= *to; }
};

using EntryFn = std::function<bool(std::string_view key, std::string_view value)>;

class KeyValueBytesStore {
 public:
  virtual ~KeyValueBytesStore() = default;

  virtual const std::string& name() const = 0;

  // Copies the value of `key` into `*value` and returns true, or returns false.
  virtual bool get(std::string_view key, std::string* value) = 0;
  virtual void put(std::string_view key, std::string_view value) = 0;
  virtual void remove(std::string_view key) = 0;

  // Calls `fn` for every entry of `range` in key order; stops early when `fn`
  // returns false. What a layer above has not written through yet is included.
  // `fn` must not write to the store (collect first, then write).
  virtual void scan(const KeyRange& range, const EntryFn& fn) = 0;
  // Deletes every entry of `range`. This default deletes them one by one
  // (through remove(), so a logging layer logs each); a bottom store may drop
  // the range at once (RocksDB's DeleteRange), as segmented window stores do
  // with whole time segments.
  virtual void remove_range(const KeyRange& range) {
    std::vector<std::string> keys;
    scan(range, [&](std::string_view k, std::string_view) {
      keys.emplace_back(k);
      return true;
    });
    for (const std::string& k : keys) remove(k);
  }
  // Every entry, in key order.
  void for_each(const EntryFn& fn) { scan(KeyRange::all(), fn); }
  virtual uint64_t approximate_num_entries() = 0;

  // Makes everything written so far durable in this layer and those below it.
  virtual void flush() = 0;

  // Restoration: applies a changelog record (a null value deletes) at the
  // bottom of the stack, logging nothing and caching nothing: wrappers pass it
  // down.
  virtual void restore(std::string_view key, const std::string_view* value) = 0;
  // Whether the bottom store stages writes until commit() (exactly-once), and
  // so keeps its changelog offsets itself instead of in a checkpoint file.
  virtual bool transactional() const = 0;
  // Applies the writes staged since the last commit atomically with
  // `changelog_offsets`, the changelog positions they correspond to (as Kafka
  // Streams' KIP-892 StateStore#commit). Nothing to do for a store that writes
  // through. Wrappers pass it down (after flush(), which the caller did).
  virtual void commit(const TopicPartitionOffsets& changelog_offsets) = 0;
  // The changelog offsets of the last commit() (empty unless transactional).
  virtual TopicPartitionOffsets committed_offsets() = 0;
  // Drops every entry of this layer and those below it, logging nothing and
  // forwarding nothing: the store is about to be rebuilt from its changelog.
  // The stack stays the same objects, so what holds it (a task's nodes) need
  // not know. Throws StateStoreError on I/O failure.
  virtual void wipe() = 0;
  virtual void close() = 0;
  // Drops what this layer and those below hold that is not written through
  // (a cache's dirty entries, staged writes), before a close after a failure:
  // the inputs that produced it are not committed and will be processed again.
  virtual void discard() = 0;
};

// The common ground of the stores at the bottom of a stack (RocksDB, memory):
// a restored record is a plain write, and nothing is staged to commit or
// discard. A store that stages writes overrides the last four.
class BottomStore : public KeyValueBytesStore {
 public:
  void restore(std::string_view key, const std::string_view* value) override {
    if (value) {
      put(key, *value);
    } else {
      remove(key);
    }
  }
  bool transactional() const override { return false; }
  // Writes went through already; the offsets go to a checkpoint file.
  void commit(const TopicPartitionOffsets&) override {}
  TopicPartitionOffsets committed_offsets() override { return {}; }
  void discard() override {}
};

}  // namespace brook::state
