// RocksDbResources: the memory every RocksDB store of a process shares — one block
// cache and one write-buffer manager charged to that cache — so a process's RocksDB
// memory is bounded by a single setting however many tasks and stores it hosts.
// Created once per KafkaStreams instance and borrowed by every store; thread-safe.
#pragma once

#include <cstddef>
#include <memory>

namespace rocksdb {
class Cache;
class WriteBufferManager;
}  // namespace rocksdb

namespace brook::state {

class RocksDbResources {
 public:
  // Default budget: 64 MiB for block cache and memtables together.
  static constexpr size_t kDefaultBudgetBytes = 64u << 20;

  explicit RocksDbResources(size_t budget_bytes = kDefaultBudgetBytes);
  ~RocksDbResources();

  size_t budget_bytes() const { return budget_bytes_; }
  // Shared handles; RocksDB's own API takes them as shared_ptr.
  const std::shared_ptr<rocksdb::Cache>& block_cache() const { return cache_; }
  const std::shared_ptr<rocksdb::WriteBufferManager>& write_buffer_manager() const { return wbm_; }
  // Bytes the shared cache currently charges (blocks plus memtables).
  size_t usage_bytes() const;

 private:
  size_t budget_bytes_;
  std::shared_ptr<rocksdb::Cache> cache_;
  std::shared_ptr<rocksdb::WriteBufferManager> wbm_;
};

}  // namespace brook::state
