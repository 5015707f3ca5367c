// WrappedStore: the base of a store layer that wraps another (changelogging,
// metering, segmenting): every call goes to the store below, so that a layer
// overrides only what it adds (Kafka Streams' WrappedStateStore). Owns the
// store below. One per task and store; not thread-safe.
#pragma once

#include <memory>

#include "state/key_value_bytes_store.h"

namespace brook::state {

class WrappedStore : public KeyValueBytesStore {
 public:
  explicit WrappedStore(std::unique_ptr<KeyValueBytesStore> inner) : inner_(std::move(inner)) {}

  const std::string& name() const override { return inner_->name(); }
  bool get(std::string_view key, std::string* value) override { return inner_->get(key, value); }
  void put(std::string_view key, std::string_view value) override { inner_->put(key, value); }
  void remove(std::string_view key) override { inner_->remove(key); }
  void scan(const KeyRange& range, const EntryFn& fn) override { inner_->scan(range, fn); }
  uint64_t approximate_num_entries() override { return inner_->approximate_num_entries(); }
  void flush() override { inner_->flush(); }
  void restore(std::string_view key, const std::string_view* value) override {
    inner_->restore(key, value);
  }
  bool transactional() const override { return inner_->transactional(); }
  void commit(const TopicPartitionOffsets& offsets) override { inner_->commit(offsets); }
  TopicPartitionOffsets committed_offsets() override { return inner_->committed_offsets(); }
  void wipe() override { inner_->wipe(); }
  void close() override { inner_->close(); }
  void discard() override { inner_->discard(); }

  KeyValueBytesStore& inner() { return *inner_; }

 protected:
  std::unique_ptr<KeyValueBytesStore> inner_;
};

}  // namespace brook::state
