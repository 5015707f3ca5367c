#include "state/in_memory_store.h"

namespace brook::state {

bool InMemoryStore::get(std::string_view key, std::string* value) {
  auto it = map_.find(key);
  if (it == map_.end()) return false;
  value->assign(it->second);
  return true;
}

void InMemoryStore::put(std::string_view key, std::string_view value) {
  auto it = map_.find(key);
  if (it == map_.end()) {
    map_.emplace(std::string(key), std::string(value));
  } else {
    it->second.assign(value);
  }
}

void InMemoryStore::remove(std::string_view key) {
  auto it = map_.find(key);
  if (it != map_.end()) map_.erase(it);
}

void InMemoryStore::scan(const KeyRange& range, const EntryFn& fn) {
  auto it = range.from ? map_.lower_bound(*range.from) : map_.begin();
  for (; it != map_.end() && !range.past(it->first); ++it) {
    if (!fn(it->first, it->second)) return;
  }
}

}  // namespace brook::state
