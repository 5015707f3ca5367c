// ThreadCache: the byte budget (cache.max.bytes.buffering divided among stream
// threads) shared by every CachingStore of one stream thread. A store that grows
// the total past the budget evicts its own least recently used entries first,
// then asks the other stores to evict theirs. Owned by the stream thread;
// not thread-safe.
#pragma once

#include <cstddef>
#include <vector>

namespace brook::state {

class CachingStore;

class ThreadCache {
 public:
  explicit ThreadCache(size_t max_bytes) : max_bytes_(max_bytes) {}

  size_t max_bytes() const { return max_bytes_; }
  size_t used_bytes() const { return used_bytes_; }
  bool enabled() const { return max_bytes_ > 0; }

  void add(size_t bytes) { used_bytes_ += bytes; }
  void sub(size_t bytes) { used_bytes_ -= bytes; }
  bool over_budget() const { return used_bytes_ > max_bytes_; }

  void register_store(CachingStore* store);
  void unregister_store(CachingStore* store);
  // Evicts from `first` and then from the other stores until within budget.
  void evict(CachingStore* first);

 private:
  size_t max_bytes_;
  size_t used_bytes_ = 0;
  std::vector<CachingStore*> stores_;
};

}  // namespace brook::state
