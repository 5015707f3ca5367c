// InMemoryStore: a KeyValueBytesStore kept in an ordered map; its state is rebuilt
// from the changelog whenever a task is created. One per task and store; not
// thread-safe.
#pragma once

#include <map>

#include "state/key_value_bytes_store.h"

namespace brook::state {

class InMemoryStore final : public BottomStore {
 public:
  explicit InMemoryStore(std::string name) : name_(std::move(name)) {}

  const std::string& name() const override { return name_; }
  bool get(std::string_view key, std::string* value) override;
  void put(std::string_view key, std::string_view value) override;
  void remove(std::string_view key) override;
  void scan(const KeyRange& range, const EntryFn& fn) override;
  void remove_range(const KeyRange& range) override {
    auto from = range.from ? map_.lower_bound(*range.from) : map_.begin();
    auto to = range.to ? map_.lower_bound(*range.to) : map_.end();
    if (range.to && range.from && *range.to <= *range.from) return;
    map_.erase(from, to);
  }
  uint64_t approximate_num_entries() override { return map_.size(); }
  void flush() override {}
  void wipe() override { map_.clear(); }
  void close() override {}

 private:
  std::string name_;
  std::map<std::string, std::string, std::less<>> map_;
};

}  // namespace brook::state
