// ChangeloggingStore: a KeyValueBytesStore wrapper that writes through to the
// store below and then logs the write to the store's changelog, so that any worker
// can rebuild the store. One per task and store; not thread-safe.
#pragma once

#include <memory>

#include "state/changelog_writer.h"
#include "state/key_value_bytes_store.h"

namespace brook::state {

class ChangeloggingStore final : public KeyValueBytesStore {
 public:
  // `writer` and `time` are borrowed and must outlive the store; `time` gives the
  // timestamp stamped on each changelog record.
  ChangeloggingStore(std::unique_ptr<KeyValueBytesStore> inner, ChangelogWriter& writer,
                     const RecordTime& time)
      : inner_(std::move(inner)), writer_(writer), time_(time) {}

  const std::string& name() const override { return inner_->name(); }
  bool get(std::string_view key, std::string* value) override { return inner_->get(key, value); }
  void put(std::string_view key, std::string_view value) override {
    inner_->put(key, value);
    writer_.log(key, &value, time_.timestamp);
  }
  void remove(std::string_view key) override {
    inner_->remove(key);
    writer_.log(key, nullptr, time_.timestamp);
  }
  void scan(const KeyRange& range, const EntryFn& fn) override { inner_->scan(range, fn); }
  uint64_t approximate_num_entries() override { return inner_->approximate_num_entries(); }
  void flush() override { inner_->flush(); }
  // Restored records come from the changelog: not logged again.
  void restore(std::string_view key, const std::string_view* value) override {
    inner_->restore(key, value);
  }
  bool transactional() const override { return inner_->transactional(); }
  void commit(const TopicPartitionOffsets& offsets) override { inner_->commit(offsets); }
  TopicPartitionOffsets committed_offsets() override { return inner_->committed_offsets(); }
  void wipe() override { inner_->wipe(); }  // not logged: the changelog is the source
  void close() override { inner_->close(); }
  void discard() override { inner_->discard(); }

  KeyValueBytesStore& inner() { return *inner_; }

 private:
  std::unique_ptr<KeyValueBytesStore> inner_;
  ChangelogWriter& writer_;
  const RecordTime& time_;
};

}  // namespace brook::state
