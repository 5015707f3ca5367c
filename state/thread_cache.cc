#include "state/thread_cache.h"

#include <algorithm>

#include "state/caching_store.h"

namespace brook::state {

void ThreadCache::register_store(CachingStore* store) { stores_.push_back(store); }

void ThreadCache::unregister_store(CachingStore* store) {
  stores_.erase(std::remove(stores_.begin(), stores_.end(), store), stores_.end());
}

void ThreadCache::evict(CachingStore* first) {
  if (!over_budget()) return;
  first->evict_some();
  for (CachingStore* s : stores_) {
    if (!over_budget()) return;
    if (s != first) s->evict_some();
  }
}

}  // namespace brook::state
