#include "state/rocksdb_resources.h"

#include <rocksdb/cache.h>
#include <rocksdb/env.h>
#include <rocksdb/write_buffer_manager.h>

#include <cstdarg>
#include <cstdio>
#include <iostream>

namespace brook::state {
namespace {

class SinkLogger final : public rocksdb::Logger {
 public:
  explicit SinkLogger(RocksDbResources::LogSink sink)
      : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL), sink_(std::move(sink)) {}

  void LogHeader(const char*, va_list) override {}
  void Logv(const char* format, va_list ap) override {
    char line[1024];
    int n = std::vsnprintf(line, sizeof line, format, ap);
    if (n < 0) return;
    std::string_view text(line, std::min<size_t>(static_cast<size_t>(n), sizeof line - 1));
    if (sink_) {
      sink_(text);
    } else {
      std::cerr << "rocksdb: " << text << "\n";
    }
  }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel() || level == rocksdb::InfoLogLevel::HEADER_LEVEL) return;
    Logv(format, ap);
  }

 private:
  RocksDbResources::LogSink sink_;
};

}  // namespace

RocksDbResources::RocksDbResources(size_t budget_bytes, LogSink log)
    : budget_bytes_(budget_bytes), logger_(std::make_shared<SinkLogger>(std::move(log))) {
  // Memtables are charged to the block cache, so the cache capacity is the bound
  // for both; half of it may be memtables before RocksDB forces a flush.
  cache_ = rocksdb::NewLRUCache(budget_bytes, /*num_shard_bits=*/-1,
                                /*strict_capacity_limit=*/false);
  wbm_ = std::make_shared<rocksdb::WriteBufferManager>(budget_bytes / 2, cache_);
}

RocksDbResources::~RocksDbResources() = default;

size_t RocksDbResources::usage_bytes() const { return cache_->GetUsage(); }

}  // namespace brook::state
