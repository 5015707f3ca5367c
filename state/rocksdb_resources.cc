#include "state/rocksdb_resources.h"

#include <rocksdb/cache.h>
#include <rocksdb/write_buffer_manager.h>

namespace brook::state {

RocksDbResources::RocksDbResources(size_t budget_bytes) : budget_bytes_(budget_bytes) {
  // Memtables are charged to the block cache, so the cache capacity is the bound
  // for both; half of it may be memtables before RocksDB forces a flush.
  cache_ = rocksdb::NewLRUCache(budget_bytes, /*num_shard_bits=*/-1,
                                /*strict_capacity_limit=*/false);
  wbm_ = std::make_shared<rocksdb::WriteBufferManager>(budget_bytes / 2, cache_);
}

RocksDbResources::~RocksDbResources() = default;

size_t RocksDbResources::usage_bytes() const { return cache_->GetUsage(); }

}  // namespace brook::state
