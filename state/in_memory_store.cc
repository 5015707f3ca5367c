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

void InMemoryStore::for_each(const std::function<bool(std::string_view, std::string_view)>& fn) {
  for (const auto& [k, v] : map_) {
    if (!fn(k, v)) return;
  }
}

}  // namespace brook::state
