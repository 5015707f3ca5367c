// RocksDbResources: the memory every RocksDB store of a process shares — one block
// cache and one write-buffer manager charged to that cache — so a process's RocksDB
// memory is bounded by a single setting however many tasks and stores it hosts.
// Created once per KafkaStreams instance and borrowed by every store; thread-safe.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string_view>

namespace rocksdb {
class Cache;
class Logger;
class WriteBufferManager;
}  // namespace rocksdb

namespace brook::state {

class RocksDbResources {
 public:
  // Default budget: 64 MiB for block cache and memtables together.
  static constexpr size_t kDefaultBudgetBytes = 64u << 20;

  // Where RocksDB's warnings and errors go (one line each); empty: stderr.
  using LogSink = std::function<void(std::string_view line)>;

  explicit RocksDbResources(size_t budget_bytes = kDefaultBudgetBytes, LogSink log = {});
  ~RocksDbResources();

  size_t budget_bytes() const { return budget_bytes_; }
  // Shared handles; RocksDB's own API takes them as shared_ptr.
  const std::shared_ptr<rocksdb::Cache>& block_cache() const { return cache_; }
  const std::shared_ptr<rocksdb::WriteBufferManager>& write_buffer_manager() const { return wbm_; }
  // The info log of every store: warnings and errors to the LogSink, nothing
  // else — no LOG file per store, no options dump at each open.
  const std::shared_ptr<rocksdb::Logger>& logger() const { return logger_; }
  // Bytes the shared cache currently charges (blocks plus memtables).
  size_t usage_bytes() const;

 private:
  size_t budget_bytes_;
  std::shared_ptr<rocksdb::Cache> cache_;
  std::shared_ptr<rocksdb::WriteBufferManager> wbm_;
  std::shared_ptr<rocksdb::Logger> logger_;
};

}  // namespace brook::state
