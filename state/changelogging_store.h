// ChangeloggingStore: a KeyValueBytesStore wrapper that writes through to the
// store below and then logs the write to the store's changelog, so that any worker
// can rebuild the store. One per task and store; not thread-safe.
#pragma once

#include <memory>

#include "state/changelog_writer.h"
#include "state/wrapped_store.h"

namespace brook::state {

class ChangeloggingStore final : public WrappedStore {
 public:
  // `writer` and `time` are borrowed and must outlive the store; `time` gives the
  // timestamp stamped on each changelog record.
  ChangeloggingStore(std::unique_ptr<KeyValueBytesStore> inner, ChangelogWriter& writer,
                     const RecordTime& time)
      : WrappedStore(std::move(inner)), writer_(writer), time_(time) {}

  void put(std::string_view key, std::string_view value) override {
    inner_->put(key, value);
    writer_.log(key, &value, time_.timestamp);
  }
  void remove(std::string_view key) override {
    inner_->remove(key);
    writer_.log(key, nullptr, time_.timestamp);
  }
  // (Restored records come from the changelog and a wipe precedes a rebuild
  // from it: neither is logged.)

 private:
  ChangelogWriter& writer_;
  const RecordTime& time_;
};

}  // namespace brook::state
